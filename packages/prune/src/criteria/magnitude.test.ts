import { describe, expect, it } from 'vitest';
import { createRng } from '@metacompress/core';
import { analyzeCoupling } from '@metacompress/ir';
import { plantedCnn, residualCnn, scaleAlong } from '../test-graphs';
import { l1Magnitude, l2Magnitude } from './magnitude';

const ctx = { rng: createRng(0) };
const argmin = (s: Float64Array): number => s.indexOf(Math.min(...s));

describe.each([l1Magnitude, l2Magnitude])('$name magnitude', (criterion) => {
  it('ranks a planted low-magnitude channel last, for every position', async () => {
    for (const planted of [0, 5, 11]) {
      const graph = plantedCnn(planted);
      const group = analyzeCoupling(graph).find((g) => g.id === 'block.a')!;
      const scores = (await criterion.score(graph, [group], ctx)).get('block.a')!;
      expect(scores).toHaveLength(12);
      expect(argmin(scores)).toBe(planted);
    }
  });

  it('gives slice-normalized scores: mean 1 over a group', async () => {
    const graph = residualCnn();
    const groups = analyzeCoupling(graph).filter((g) => g.prunable);
    const scores = await criterion.score(graph, groups, ctx);
    for (const g of groups) {
      const s = scores.get(g.id)!;
      expect(s.reduce((a, b) => a + b, 0) / s.length).toBeCloseTo(1, 10);
    }
  });
});

describe('l1Magnitude', () => {
  it('counts the consumer input weights too (Torch-Pruning-style group importance)', async () => {
    // shrink only block.b's input slice of channel 4: filters alone would not single it out
    const original = residualCnn();
    const graph = scaleAlong(original, 'block.b.weight', 1, 4, 1e-3);
    const group = analyzeCoupling(graph).find((g) => g.id === 'block.a')!;
    const before = (await l1Magnitude.score(original, [group], ctx)).get('block.a')!;
    const after = (await l1Magnitude.score(graph, [group], ctx)).get('block.a')!;
    // the output slice still counts half: the channel's score roughly halves
    expect(after[4]).toBeLessThan(0.6 * before[4]);
    expect(after[4]).toBeGreaterThan(0.3 * before[4]);
    expect(after.indexOf(Math.min(...after))).toBe(4);
  });
});
