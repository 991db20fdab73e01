import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOrtWebBackend } from '@metacompress/backend-ort';
import { compress, isMetacompressError, validatePolicy } from '@metacompress/core';
import { costOf, createCostEstimator, loadOnnx, type Graph } from '@metacompress/ir';
import { fitToInput, loadMnist } from '@metacompress/tasks';
import { channelPrune } from '../channel-prune';
import { FIXTURES, plantedCnn, residualCnn } from '../test-graphs';
import { globalMagnitudePolicy } from './global-magnitude';
import { l1SensitivityPolicy } from './l1-sensitivity';
import { uniformPolicy } from './uniform';

const fixture = (name: string): Promise<Graph> => loadOnnx(resolve(FIXTURES, `${name}.onnx`));

describe('uniformPolicy', () => {
  it.each([
    ['resnet', 'macs', 0.5],
    ['vgg_bn', 'params', 0.25],
    ['mobilenetv2', 'bytes', 0.5],
    ['lenet300', 'macs', 0.1],
  ] as const)('%s: %s=%s is met within 1 percent by the pruned graph', async (name, metric, ratio) => {
    const graph = await fixture(name);
    const policy = uniformPolicy(graph, { metric, ratio }, { roundTo: 4 });
    expect(validatePolicy(JSON.parse(JSON.stringify(policy)))).toEqual(policy); // JSON-serializable, valid
    expect(policy.source).toBe('uniform');
    const { graph: small } = await compress(graph, [channelPrune.with({ roundTo: 4 })], { policy });
    const achieved = costOf(small)[metric] / costOf(graph)[metric];
    expect(Math.abs(achieved - ratio)).toBeLessThanOrEqual(0.01 * ratio);
    expect(policy.meta?.achieved).toBeCloseTo(achieved, 12);
    // uniform: keep ratios stay close to each other
    const keeps = policy.groups.map((g) => g.keep);
    expect(Math.max(...keeps) - Math.min(...keeps)).toBeLessThan(0.5);
  });

  it('leaves the groups the selector protects out of the policy', () => {
    const graph = residualCnn();
    const policy = uniformPolicy(
      graph,
      { metric: 'params', ratio: 0.8 },
      { selector: { exclude: { names: ['block.b'] } } },
    );
    expect(policy.groups.map((g) => g.group)).toEqual(['block.a']);
  });

  it('rejects latency budgets (they must be measured) with MC_BUDGET_INVALID', () => {
    try {
      uniformPolicy(residualCnn(), { metric: 'latency', ratio: 0.5 });
      expect.unreachable();
    } catch (e) {
      expect(isMetacompressError(e, 'MC_BUDGET_INVALID')).toBe(true);
    }
  });
});

describe('globalMagnitudePolicy', () => {
  it('meets the budget within 1 % and prunes unevenly across groups', async () => {
    const graph = await fixture('resnet');
    const policy = await globalMagnitudePolicy(graph, { metric: 'macs', ratio: 0.5 });
    const est = createCostEstimator(graph);
    expect(Math.abs((policy.meta!.achieved as number) - 0.5)).toBeLessThanOrEqual(0.005);
    const { graph: small } = await compress(graph, [channelPrune], { policy });
    expect(costOf(small).macs / est.base.macs).toBeCloseTo(policy.meta!.achieved as number, 12);
    const keeps = policy.groups.map((g) => g.keep);
    expect(Math.max(...keeps) - Math.min(...keeps)).toBeGreaterThan(0.05);
  });

  it('takes a planted unimportant channel first', async () => {
    const graph = plantedCnn(3, 0.001);
    // a budget that costs exactly one channel of block.a
    const est = createCostEstimator(graph);
    const ratio = est.estimate({ 'block.a': 11 }).params / est.base.params;
    const policy = await globalMagnitudePolicy(graph, { metric: 'params', ratio }, { estimator: est });
    expect(policy.groups.find((g) => g.group === 'block.a')!.keep).toBeCloseTo(11 / 12, 12);
    expect(policy.groups.find((g) => g.group === 'stem')!.keep).toBe(1);
    const { graph: small } = await compress(graph, [channelPrune], { policy });
    const before = graph.initializers.find((t) => t.name === 'block.a_bn.scale')!.raw!;
    const after = small.initializers.find((t) => t.name === 'block.a_bn.scale')!.raw!;
    // channel 3 (the planted one) is the one gone
    expect([...after]).toEqual([...before.slice(0, 12), ...before.slice(16)]);
  });
});

describe('l1SensitivityPolicy', () => {
  it('measures each group with the inference backend and spares the sensitive ones (LeNet-5 on MNIST)', async () => {
    const graph = await fixture('lenet5');
    const data = fitToInput(await loadMnist({ split: 'test' }), ['N', 1, 28, 28]);
    const backend = await createOrtWebBackend();
    let calls = 0;
    const policy = await l1SensitivityPolicy(
      graph,
      { metric: 'params', ratio: 0.3 },
      { data, backend, batches: 2, batchSize: 64, onProgress: () => calls++ },
    );
    await backend.dispose();
    expect(policy.source).toBe('l1-sensitivity');
    expect(calls).toBe(4 * 3); // four prunable groups × three ratios
    expect(Math.abs((policy.meta!.achieved as number) - 0.3)).toBeLessThanOrEqual(0.003);
    const curves = policy.meta!.curves as { group: string; ratios: number[]; increase: number[] }[];
    for (const c of curves) {
      expect(c.ratios.at(-1)).toBe(1);
      for (let i = 1; i < c.increase.length; i++)
        expect(c.increase[i]).toBeLessThanOrEqual(c.increase[i - 1]);
    }
    // a group that hurts more at a quarter of its channels keeps at least as large a share
    const keepOf = new Map(policy.groups.map((g) => [g.group, g.keep]));
    const byHarm = [...curves].sort((a, b) => a.increase[0] - b.increase[0]);
    const most = byHarm.at(-1)!;
    const least = byHarm[0];
    expect(most.increase[0]).toBeGreaterThan(least.increase[0]);
    expect(keepOf.get(most.group)!).toBeGreaterThanOrEqual(keepOf.get(least.group)!);
  });

  it('keeps every group above the lowest measured ratio while the budget allows, and drops the floor when it does not', async () => {
    const graph = await fixture('lenet300');
    const data = fitToInput(await loadMnist({ split: 'test' }), ['N', 784]);
    const backend = await createOrtWebBackend();
    const options = { data, backend, batches: 1, batchSize: 128, ratios: [0.25, 0.5, 0.75] };
    const floored = await l1SensitivityPolicy(graph, { metric: 'params', ratio: 0.3 }, options);
    const unfloored = await l1SensitivityPolicy(
      graph,
      { metric: 'params', ratio: 0.3 },
      { ...options, floor: 0 },
    );
    const tight = await l1SensitivityPolicy(graph, { metric: 'params', ratio: 0.05 }, options);
    await backend.dispose();
    for (const p of [floored, unfloored, tight])
      expect(Math.abs((p.meta!.achieved as number) / p.budget.ratio - 1)).toBeLessThanOrEqual(0.01);
    expect(floored.meta!.floor).toBe(0.25);
    for (const g of floored.groups) expect(g.keep).toBeGreaterThanOrEqual(0.25);
    expect(unfloored.meta!.floor).toBe(0);
    // 5 % of the params cannot be kept with every group at ≥ 25 %: the floor is dropped, and said so
    expect(tight.meta!.floor).toBe(0);
    expect(Math.min(...tight.groups.map((g) => g.keep))).toBeLessThan(0.25);
  });

  it('needs data and a backend', async () => {
    const graph = residualCnn();
    const noData = await l1SensitivityPolicy(
      graph,
      { metric: 'params', ratio: 0.5 },
      { data: undefined as never },
    ).catch((e: unknown) => e);
    expect(isMetacompressError(noData, 'MC_EMPTY_DATASET')).toBe(true);
  });
});
