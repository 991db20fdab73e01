import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { mlpGraph, resnetBlockGraph } from '../coupling/test-graphs';
import { costOf } from '../cost/cost-of';
import { loadOnnx } from '../onnx/files';
import { removeChannels } from '../rewrite/remove-channels';
import { createCostEstimator } from './cost-estimator';
import { keepCandidates } from './keep-count';
import { refineKeeps, solveBudget, solveUniformRatio, uniformFamily } from './solve-budget';

const fixtures = resolve(import.meta.dirname, '../../../../fixtures/models');
const firstK = (keeps: Map<string, number>): Map<string, number[]> =>
  new Map([...keeps].map(([id, k]) => [id, Array.from({ length: k }, (_, i) => i)]));

describe('solveUniformRatio', () => {
  it.each([
    ['resnet', 'macs', 0.25, 8],
    ['resnet', 'params', 0.5, 1],
    ['vgg_bn', 'macs', 0.25, 8],
    ['vgg_bn', 'bytes', 0.5, 4],
    ['mobilenetv2', 'macs', 0.25, 8],
    ['mobilenetv2', 'flops', 0.5, 1],
    ['lenet300', 'macs', 0.25, 8],
    ['lenet300', 'params', 0.1, 1],
  ] as const)(
    '%s: %s=%s with roundTo %s lands within 1 percent (checked on the really pruned graph)',
    async (name, metric, ratio, roundTo) => {
      const graph = await loadOnnx(resolve(fixtures, `${name}.onnx`));
      const est = createCostEstimator(graph);
      const sol = solveUniformRatio(est, { metric, ratio }, { roundTo });
      expect(sol.withinTolerance).toBe(true);
      expect(Math.abs(sol.achieved - ratio)).toBeLessThanOrEqual(0.01 * ratio);
      const real = costOf(removeChannels(graph, firstK(sol.keeps)));
      expect(real[metric] / est.base[metric]).toBeCloseTo(sol.achieved, 12);
      for (const [id, k] of sol.keeps) {
        const g = est.groups.find((x) => x.id === id)!;
        expect(keepCandidates(g.channels, { roundTo })).toContain(k);
      }
    },
  );

  it('uses a ratio that shrinks the free groups about evenly', () => {
    const est = createCostEstimator(resnetBlockGraph());
    const sol = solveUniformRatio(est, { metric: 'params', ratio: 0.5 });
    const ratios = [...sol.keeps].map(([id, k]) => k / est.groups.find((g) => g.id === id)!.channels);
    expect(Math.max(...ratios) - Math.min(...ratios)).toBeLessThan(0.3);
    expect(sol.parameter).toBeGreaterThan(0.4);
    expect(sol.parameter).toBeLessThan(0.9);
  });

  it('only shrinks the groups it is given', () => {
    const est = createCostEstimator(resnetBlockGraph());
    const ids = est.groups.filter((g) => g.prunable).map((g) => g.id);
    expect(ids.length).toBeGreaterThan(2);
    const sol = solveUniformRatio(est, { metric: 'macs', ratio: 0.8 }, { groups: ids.slice(0, 2) });
    expect([...sol.keeps.keys()]).toEqual(ids.slice(0, 2));
    expect(sol.achieved).toBeLessThanOrEqual(0.8 * 1.01);
    expect(sol.achieved).toBeGreaterThan(0.7);
  });

  it('stays under the budget, flagged, when rounding cannot land within tolerance', () => {
    const est = createCostEstimator(mlpGraph());
    // one group of 16 channels: each channel is ~3.7 % of the params, so 0.7 cannot be hit within 1 %
    const sol = solveUniformRatio(est, { metric: 'params', ratio: 0.7 }, { groups: ['fc1'] });
    expect(sol.withinTolerance).toBe(false);
    expect(sol.achieved).toBeLessThanOrEqual(0.7);
    expect(sol.achieved).toBeGreaterThan(0.65);
  });

  it('throws MC_BUDGET_UNREACHABLE naming the floor when rounding forbids the target', async () => {
    const graph = await loadOnnx(resolve(fixtures, 'lenet5.onnx'));
    try {
      solveUniformRatio(createCostEstimator(graph), { metric: 'macs', ratio: 0.25 }, { roundTo: 8 });
      expect.unreachable();
    } catch (e) {
      expect(isMetacompressError(e, 'MC_BUDGET_UNREACHABLE')).toBe(true);
      expect((e as Error).message).toMatch(/smallest policy/);
    }
  });

  it('rejects latency budgets, bad ratios, unknown and unprunable groups with typed errors', () => {
    const est = createCostEstimator(mlpGraph());
    const codeOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return isMetacompressError(e) ? e.code : String(e);
      }
      return 'none';
    };
    expect(codeOf(() => solveUniformRatio(est, { metric: 'latency', ratio: 0.5 }))).toBe('MC_BUDGET_INVALID');
    expect(codeOf(() => solveUniformRatio(est, { metric: 'macs', ratio: 0 }))).toBe('MC_BUDGET_INVALID');
    expect(codeOf(() => solveUniformRatio(est, { metric: 'macs', ratio: 0.5 }, { groups: ['fc9'] }))).toBe(
      'MC_UNKNOWN_GROUP',
    );
    expect(codeOf(() => solveUniformRatio(est, { metric: 'macs', ratio: 0.5 }, { groups: ['fc3'] }))).toBe(
      'MC_GROUP_UNPRUNABLE',
    );
  });
});

describe('solveBudget and refineKeeps', () => {
  it('follows any monotone family (here: only the first group shrinks until it cannot)', () => {
    const est = createCostEstimator(mlpGraph());
    const family = (t: number): Map<string, number> =>
      new Map([
        ['fc1', Math.max(1, Math.round(16 * t))],
        ['fc2', 12],
      ]);
    const sol = solveBudget(est, { metric: 'params', ratio: 0.6 }, family, { refine: false });
    expect(sol.keeps.get('fc2')).toBe(12);
    expect(sol.achieved).toBeLessThanOrEqual(0.6);
    expect(sol.achieved).toBeGreaterThan(0.55);
  });

  it('refinement reaches the tolerance from a far start and leaves its input alone', async () => {
    const graph = await loadOnnx(resolve(fixtures, 'vgg_bn.onnx'));
    const est = createCostEstimator(graph);
    const groups = est.groups.filter((g) => g.prunable);
    const start = uniformFamily(groups, { roundTo: 8 })(0.5);
    const before = new Map(start);
    const refined = refineKeeps(est, start, { metric: 'macs', ratio: 0.25 }, { roundTo: 8 });
    expect(start).toEqual(before);
    expect(Math.abs(est.estimate(refined).macs / est.base.macs - 0.25)).toBeLessThanOrEqual(0.0025);
  });
});
