import { describe, expect, it } from 'vitest';
import { createRng, isMetacompressError } from '@metacompress/core';
import { analyzeCoupling } from '@metacompress/ir';
import { mlp, residualCnn, scaleAlong } from '../test-graphs';
import { bnScale } from './bn-scale';

const ctx = { rng: createRng(0) };

describe('bnScale', () => {
  it('ranks the channel with a tiny BN scale last, whatever its weights', async () => {
    // only γ is shrunk; the filter keeps its (random) magnitude
    const graph = scaleAlong(residualCnn(), 'block.a_bn.scale', 0, 9, 0.001);
    const group = analyzeCoupling(graph).find((g) => g.id === 'block.a')!;
    const scores = (await bnScale.score(graph, [group], ctx)).get('block.a')!;
    expect(scores.indexOf(Math.min(...scores))).toBe(9);
  });

  it('averages over every BN of a residual group', async () => {
    let graph = scaleAlong(residualCnn(), 'stem_bn.scale', 0, 2, 0.001);
    graph = scaleAlong(graph, 'block.b_bn.scale', 0, 2, 0.001);
    const group = analyzeCoupling(graph).find((g) => g.id === 'stem')!;
    const scores = (await bnScale.score(graph, [group], ctx)).get('stem')!;
    expect(scores.indexOf(Math.min(...scores))).toBe(2);
  });

  it('throws MC_UNSUPPORTED_OP naming the group when there is no BN', async () => {
    const graph = mlp();
    const group = analyzeCoupling(graph).find((g) => g.id === 'fc1')!;
    const error = await bnScale.score(graph, [group], ctx).catch((e: unknown) => e);
    expect(isMetacompressError(error, 'MC_UNSUPPORTED_OP')).toBe(true);
    expect((error as { details: { group: string } }).details.group).toBe('fc1');
  });
});
