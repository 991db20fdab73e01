import { createRng, isMetacompressError } from '@metacompress/core';
import {
  costOf,
  createCostEstimator,
  keepCount,
  loadOnnx,
  removeChannels,
  type CostEstimator,
  type Graph,
} from '@metacompress/ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../test-graphs';
import { projectBudget } from './project-budget';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const models: Record<string, { graph: Graph; estimator: CostEstimator; ids: string[] }> = {};

beforeAll(async () => {
  for (const name of ['lenet5', 'lenet300', 'resnet-bn', 'vgg_bn-bn']) {
    const graph = await loadOnnx(`${FIXTURES}/${name}.onnx`);
    const estimator = createCostEstimator(graph);
    models[name] = { graph, estimator, ids: estimator.groups.filter((g) => g.prunable).map((g) => g.id) };
  }
});

function logitsFor(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.normal() * 1.5);
}

describe('projectBudget', () => {
  it('meets params, MACs and bytes budgets within 1 % by one shift of the logits', () => {
    let seed = 0;
    for (const name of ['lenet5', 'resnet-bn', 'vgg_bn-bn']) {
      const { estimator, ids } = models[name];
      for (const metric of ['params', 'macs', 'bytes'] as const) {
        for (const ratio of [0.35, 0.6, 0.85]) {
          if (name === 'lenet5' && metric === 'macs' && ratio < 0.5) continue; // conv1 alone holds most of LeNet's MACs
          const logits = logitsFor(ids.length, ++seed);
          const p = projectBudget(estimator, ids, logits, { metric, ratio });
          const where = `${name} ${metric}=${ratio}`;
          expect(p.withinTolerance, where).toBe(true);
          expect(Math.abs(p.achieved - ratio), where).toBeLessThanOrEqual(0.01 * ratio);
          expect(p.achieved).toBeCloseTo(estimator.estimate(p.counts)[metric] / estimator.base[metric], 12);
          ids.forEach((id, i) => {
            const g = estimator.groups.find((x) => x.id === id)!;
            expect(p.softKeep[i]).toBeCloseTo(sigmoid(logits[i] + p.shift), 12);
            expect(p.keep.get(id)).toBe(p.counts.get(id)! / g.channels);
            if (!p.refined)
              expect(p.counts.get(id), where).toBe(
                keepCount(g.channels, Math.max(1e-12, p.softKeep[i]), { minChannels: g.minChannels }),
              );
          });
        }
      }
    }
  });

  it('prices what removeChannels really builds', () => {
    const { graph, estimator, ids } = models['resnet-bn'];
    const p = projectBudget(estimator, ids, logitsFor(ids.length, 42), { metric: 'macs', ratio: 0.5 });
    const pruned = removeChannels(
      graph,
      Object.fromEntries([...p.counts].map(([id, n]) => [id, Array.from({ length: n }, (_, j) => j)])),
    );
    expect(costOf(pruned).macs / costOf(graph).macs).toBeCloseTo(p.achieved, 12);
  });

  it('keeps more of the groups with higher logits; equal logits give a near-uniform policy', () => {
    const { estimator, ids } = models.lenet300; // fc1 (300), fc2 (100)
    const p = projectBudget(estimator, ids, [-2, 2], { metric: 'params', ratio: 0.5 });
    expect(p.keep.get(ids[0])!).toBeLessThan(p.keep.get(ids[1])!);
    const q = projectBudget(estimator, ids, [2, -2], { metric: 'params', ratio: 0.5 });
    expect(q.keep.get(ids[0])!).toBeGreaterThan(q.keep.get(ids[1])!);
    const u = projectBudget(models['vgg_bn-bn'].estimator, models['vgg_bn-bn'].ids, new Array(6).fill(0.3), {
      metric: 'macs',
      ratio: 0.5,
    });
    const keeps = [...u.keep.values()];
    expect(Math.max(...keeps) - Math.min(...keeps)).toBeLessThan(0.1);
    // Shifting every logit by a constant changes nothing but the shift.
    const shifted = projectBudget(estimator, ids, [-2 + 5, 2 + 5], { metric: 'params', ratio: 0.5 });
    expect(shifted.counts).toEqual(p.counts);
    expect(shifted.shift).toBeCloseTo(p.shift - 5, 6);
  });

  it('respects roundTo and minChannels, and stays under a budget it cannot hit exactly', () => {
    const { estimator, ids } = models['resnet-bn'];
    for (const ratio of [0.3, 0.55, 0.8]) {
      const p = projectBudget(
        estimator,
        ids,
        logitsFor(ids.length, 7),
        { metric: 'params', ratio },
        { roundTo: 8, minChannels: 8 },
      );
      for (const id of ids) {
        const c = estimator.groups.find((g) => g.id === id)!.channels;
        const n = p.counts.get(id)!;
        expect(n === c || (n % 8 === 0 && n >= 8)).toBe(true);
      }
      expect(p.withinTolerance || p.achieved <= ratio).toBe(true);
    }
    // LeNet-5 with 16-channel steps: conv1 (6) and conv2 (16) cannot shrink at all.
    const lenet = models.lenet5;
    const coarse = projectBudget(
      lenet.estimator,
      lenet.ids,
      [0, 0, 0, 0],
      { metric: 'params', ratio: 0.5 },
      { roundTo: 16, refine: false },
    );
    expect(coarse.counts.get('/conv1/Conv')).toBe(6);
    expect(coarse.counts.get('/conv2/Conv')).toBe(16);
    expect(coarse.withinTolerance || coarse.achieved <= 0.5).toBe(true);
  });

  it('throws typed errors for latency, unreachable budgets and bad logits', () => {
    const { estimator, ids } = models.lenet5;
    const codes: unknown[] = [];
    for (const bad of [
      () => projectBudget(estimator, ids, [0, 0, 0, 0], { metric: 'latency', ratio: 0.5 }),
      () => projectBudget(estimator, ids, [0, 0, 0, 0], { metric: 'macs', ratio: 0.05 }),
      () => projectBudget(estimator, ids, [0, 0, 0], { metric: 'macs', ratio: 0.5 }),
      () => projectBudget(estimator, ids, [0, Number.NaN, 0, 0], { metric: 'macs', ratio: 0.5 }),
      () => projectBudget(estimator, ['/fc3/Gemm'], [0], { metric: 'macs', ratio: 0.5 }),
    ]) {
      try {
        bad();
        codes.push('no error');
      } catch (error) {
        codes.push(isMetacompressError(error) && error.code);
      }
    }
    expect(codes).toEqual([
      'MC_BUDGET_INVALID',
      'MC_BUDGET_UNREACHABLE',
      'MC_INVALID_ARGUMENT',
      'MC_INVALID_ARGUMENT',
      'MC_GROUP_UNPRUNABLE',
    ]);
  });
});
