import { describe, expect, it } from 'vitest';
import { createRng, isMetacompressError } from '@metacompress/core';
import { analyzeCoupling } from '@metacompress/ir';
import { defineCriterion, isCriterion } from './criterion';
import { aggregateSlices } from './group-importance';
import { residualCnn } from './test-graphs';

const graph = residualCnn();
const groups = analyzeCoupling(graph).filter((g) => g.prunable);
const ctx = { rng: createRng(0) };

async function codeOf(work: () => Promise<unknown>): Promise<[string, unknown]> {
  try {
    await work();
  } catch (e) {
    if (isMetacompressError(e)) return [e.code, e.details.group];
    throw e;
  }
  return ['none', undefined];
}

describe('defineCriterion', () => {
  it('makes a frozen plain object recognized by isCriterion', () => {
    const c = defineCriterion({
      name: 'ones',
      score: (_g, gs) => new Map(gs.map((g) => [g.id, new Float64Array(g.channels).fill(1)])),
    });
    expect(isCriterion(c)).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
    expect(isCriterion({ name: 'x', score: () => new Map() })).toBe(false);
  });

  it('rejects bad names and missing score functions', () => {
    expect(() => defineCriterion({ name: 'Bad Name', score: () => new Map() })).toThrow(/kebab-case/);
    expect(() => defineCriterion({ name: 'x' } as never)).toThrow(/score/);
  });

  it('checks what score returns, naming the group', async () => {
    const short = defineCriterion({
      name: 'short',
      score: (_g, gs) => new Map(gs.map((g) => [g.id, new Float64Array(1)])),
    });
    expect(await codeOf(() => short.score(graph, groups, ctx))).toEqual(['MC_PLUGIN_INVALID', groups[0].id]);
    const nan = defineCriterion({
      name: 'nan',
      score: (_g, gs) => new Map(gs.map((g) => [g.id, new Float64Array(g.channels).fill(Number.NaN)])),
    });
    expect(await codeOf(() => nan.score(graph, groups, ctx))).toEqual(['MC_NAN_WEIGHTS', groups[0].id]);
    const notMap = defineCriterion({ name: 'not-map', score: () => ({}) as never });
    expect((await codeOf(() => notMap.score(graph, groups, ctx)))[0]).toBe('MC_PLUGIN_INVALID');
  });
});

describe('aggregateSlices', () => {
  it('averages slice scores divided by their means, skipping empty slices', () => {
    const out = aggregateSlices(
      [new Float64Array([1, 3]), new Float64Array([10, 10]), new Float64Array([0, 0]), undefined],
      2,
    );
    expect([...out]).toEqual([0.75, 1.25]);
    expect([...aggregateSlices([], 3)]).toEqual([0, 0, 0]);
  });
});
