import { describe, expect, it } from 'vitest';
import { createOrtWebBackend } from '@metacompress/backend-ort';
import { compress, createRng, isMetacompressError, type Policy } from '@metacompress/core';
import { analyzeCoupling, costOf, type Graph } from '@metacompress/ir';
import { channelPrune, keepTopChannels, planChannelPruning, pruneChannels } from './channel-prune';
import { defineCriterion } from './criterion';
import { plantedCnn, residualCnn } from './test-graphs';

const policyOf = (groups: Policy['groups']): Policy => ({
  budget: { metric: 'macs', ratio: 0.5 },
  groups,
  source: 'test',
});
const dims = (g: Graph, name: string): readonly number[] => g.initializers.find((t) => t.name === name)!.dims;

async function errorOf(
  work: () => Promise<unknown>,
): Promise<{ code: string; group?: unknown; field?: unknown }> {
  try {
    await work();
  } catch (e) {
    if (isMetacompressError(e)) return { code: e.code, group: e.details.group, field: e.details.field };
    throw e;
  }
  throw new Error('expected an error');
}

describe('keepTopChannels', () => {
  it('returns the highest-scoring indices in ascending order, ties to the lower index', () => {
    expect(keepTopChannels(new Float64Array([0.3, 0.1, 0.9, 0.5]), 2)).toEqual([2, 3]);
    expect(keepTopChannels([1, 1, 1], 2)).toEqual([0, 1]);
  });
});

describe('pruneChannels', () => {
  it('removes the planted channel physically from every coupled tensor, and outputs do not change', async () => {
    const graph = plantedCnn(5, 0); // channel 5 of block.a contributes exactly nothing
    const { graph: small, report } = await pruneChannels(
      graph,
      policyOf([{ group: 'block.a', keep: 11 / 12 }]),
      { criterion: 'l1' },
    );
    expect(dims(small, 'block.a.weight')).toEqual([11, 8, 3, 3]);
    expect(dims(small, 'block.a_bn.scale')).toEqual([11]);
    expect(dims(small, 'block.b.weight')).toEqual([8, 11, 3, 3]);
    expect(report.groups.find((g) => g.group === 'block.a')).toEqual({
      group: 'block.a',
      channels: 12,
      kept: 11,
    });
    expect(report.after.params).toBe(costOf(small).params);
    expect(report.after.macs).toBeLessThan(report.before.macs);

    const ort = await createOrtWebBackend();
    const input = { dims: [2, 3, 6, 6], data: Float32Array.from({ length: 216 }, (_, i) => Math.cos(i)) };
    const a = (await ort.run(graph, { input })).logits.data as Float32Array;
    const b = (await ort.run(small, { input })).logits.data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    await ort.dispose();
  });

  it('shrinks a residual group everywhere it flows (stem, block.b, the classifier input)', async () => {
    const { graph: small } = await pruneChannels(residualCnn(), policyOf([{ group: 'stem', keep: 0.5 }]));
    expect(dims(small, 'stem.weight')).toEqual([4, 3, 3, 3]);
    expect(dims(small, 'block.b.weight')).toEqual([4, 12, 3, 3]);
    expect(dims(small, 'block.a.weight')).toEqual([12, 4, 3, 3]);
    expect(dims(small, 'fc.weight')).toEqual([10, 4]);
  });

  it('rounds to multiples of roundTo and respects the minimum', () => {
    const graph = residualCnn();
    expect(
      planChannelPruning(graph, policyOf([{ group: 'block.a', keep: 0.3 }]), { roundTo: 4 }).counts.get(
        'block.a',
      ),
    ).toBe(4);
    expect(
      planChannelPruning(graph, policyOf([{ group: 'block.a', keep: 0.1 }]), { minChannels: 6 }).counts.get(
        'block.a',
      ),
    ).toBe(6);
    expect(
      planChannelPruning(graph, policyOf([{ group: 'block.a', keep: 0.95 }]), { roundTo: 8 }).counts.has(
        'block.a',
      ),
    ).toBe(false);
  });

  it('accepts a criterion object and passes it the context', async () => {
    const seen: string[] = [];
    const lastFirst = defineCriterion({
      name: 'last-first',
      score: (_g, groups, ctx) => {
        seen.push(typeof ctx.rng.next());
        return new Map(groups.map((g) => [g.id, Float64Array.from({ length: g.channels }, (_, j) => -j)]));
      },
    });
    const { graph: small } = await pruneChannels(residualCnn(), policyOf([{ group: 'block.a', keep: 0.5 }]), {
      criterion: lastFirst,
      context: { rng: createRng(1) },
    });
    expect(seen).toEqual(['number']);
    // the criterion kept channels 0..5: the kept filters are the first six
    const original = residualCnn().initializers.find((t) => t.name === 'block.a.bias')!;
    const kept = small.initializers.find((t) => t.name === 'block.a.bias')!;
    expect(kept.raw).toEqual(original.raw!.slice(0, 6 * 4));
  });

  it('names the group in typed errors for bad policies', async () => {
    const graph = residualCnn();
    expect(
      await errorOf(() => pruneChannels(graph, policyOf([{ group: 'conv9', keep: 0.5 }]))),
    ).toMatchObject({ code: 'MC_UNKNOWN_GROUP', group: 'conv9' });
    for (const keep of [0, -0.5, 1.5, Number.NaN]) {
      expect(await errorOf(() => pruneChannels(graph, policyOf([{ group: 'block.a', keep }])))).toMatchObject(
        { code: 'MC_POLICY_INVALID', group: 'block.a' },
      );
    }
    expect(await errorOf(() => pruneChannels(graph, policyOf([{ group: 'fc', keep: 0.5 }])))).toMatchObject({
      code: 'MC_GROUP_UNPRUNABLE',
      group: 'fc',
    });
    const protectedGroup = await errorOf(() =>
      pruneChannels(graph, policyOf([{ group: 'stem', keep: 0.5 }]), {
        selector: { exclude: { names: ['block.b'] } },
      }),
    );
    expect(protectedGroup).toMatchObject({ code: 'MC_GROUP_UNPRUNABLE', group: 'stem' });
    expect(await errorOf(() => pruneChannels(graph, policyOf([]), { criterion: 'nope' }))).toMatchObject({
      code: 'MC_INVALID_ARGUMENT',
    });
  });
});

describe('channelPrune operator', () => {
  it('is pure: runs on frozen graphs through compress() and leaves the input as it was', async () => {
    const graph = residualCnn();
    const snapshot = JSON.stringify(graph, (_k, v) => (v instanceof Uint8Array ? [...v] : v));
    const { graph: small, steps } = await compress(
      graph,
      [channelPrune.with({ criterion: 'l2', roundTo: 2 })],
      {
        policy: policyOf([
          { group: 'stem', keep: 0.5 },
          { group: 'block.a', keep: 0.5 },
        ]),
      },
    );
    expect(JSON.stringify(graph, (_k, v) => (v instanceof Uint8Array ? [...v] : v))).toBe(snapshot);
    expect(Object.isFrozen(small)).toBe(true);
    expect(dims(small, 'block.a.weight')).toEqual([6, 4, 3, 3]);
    expect(steps[0].report).toMatchObject({
      criterion: 'l2',
      groups: expect.arrayContaining([{ group: 'stem', channels: 8, kept: 4 }]),
    });
  });

  it('wraps errors with the operator name and validates options', async () => {
    const graph = residualCnn();
    const e = await errorOf(() =>
      compress(graph, [channelPrune], { policy: policyOf([{ group: 'nope', keep: 0.5 }]) }),
    );
    expect(e.code).toBe('MC_UNKNOWN_GROUP');
    const bad = await errorOf(() =>
      compress(graph, [channelPrune.with({ roundTo: 0 })], { policy: policyOf([]) }),
    );
    expect(bad).toMatchObject({ code: 'MC_INVALID_ARGUMENT', field: 'channel-prune.options.roundTo' });
    const badSelector = await errorOf(() =>
      compress(graph, [[channelPrune, { selector: { ops: ['Conv'] } }]], { policy: policyOf([]) }),
    );
    expect(badSelector.code).toBe('MC_INVALID_ARGUMENT');
  });

  it('keeps groups the policy does not list', async () => {
    const graph = residualCnn();
    const { graph: small } = await compress(graph, [channelPrune], {
      policy: policyOf([{ group: 'block.a', keep: 0.5 }]),
    });
    expect(analyzeCoupling(small).find((g) => g.id === 'stem')?.channels).toBe(8);
  });
});
