import { isMetacompressError } from '@metacompress/core';
import { costOf, loadOnnx, removeChannels, type Graph } from '@metacompress/ir';
import { describe, expect, it } from 'vitest';
import { blockNet, FIXTURES } from '../test-graphs';
import { FEATURES, FEATURE_COUNT, FEATURE_NAMES, featureIndex } from './feature-names';
import { featureMatrix, featurizeGroups } from './featurize-groups';

const col = (row: Float32Array, name: string): number => row[featureIndex(name)];
const budget = { metric: 'macs', ratio: 0.4 } as const;

/** Share of a metric that scales with a group, computed without the estimator: remove one channel for real. */
function shareByRemoval(graph: Graph, id: string, channels: number, metric: 'params' | 'macs'): number {
  const base = costOf(graph)[metric];
  const less = costOf(removeChannels(graph, { [id]: Array.from({ length: channels - 1 }, (_, j) => j) }))[
    metric
  ];
  return (channels * (base - less)) / base;
}

describe('the feature list', () => {
  it('names every column once, documents each, and looks names up with a typed error', () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
    expect(FEATURES.every((f) => f.description.length > 10)).toBe(true);
    expect(FEATURE_NAMES[featureIndex('budget_ratio')]).toBe('budget_ratio');
    expect(() => featureIndex('nope')).toThrow(expect.objectContaining({ code: 'MC_INVALID_ARGUMENT' }));
  });
});

describe('featurizeGroups on a hand-built CNN', () => {
  const graph = blockNet();
  const f = featurizeGroups(graph, { budget });
  const row = (id: string) => f.rows[f.groups.findIndex((g) => g.id === id)];

  it('gives one fixed-length row per prunable group, the classifier group excluded', () => {
    expect(f.groups.map((g) => g.id)).toEqual(['c1', 'c2']);
    expect(f.rows.map((r) => r.length)).toEqual([FEATURE_COUNT, FEATURE_COUNT]);
    expect(f.names).toBe(FEATURE_NAMES);
    expect(featureMatrix(f)).toEqual(Float32Array.from([...f.rows[0], ...f.rows[1]]));
  });

  it('describes producing ops, kernels, strides and channel counts', () => {
    const c1 = row('c1');
    // c1 (conv k3 stride 1) and the depthwise dw (k3 stride 2) produce the group's channels.
    expect(col(c1, 'op.conv')).toBeCloseTo(0.5, 6);
    expect(col(c1, 'op.depthwise')).toBeCloseTo(0.5, 6);
    expect(col(c1, 'op.gemm')).toBe(0);
    expect(col(c1, 'kernel')).toBeCloseTo(3 / 7, 6);
    expect(col(c1, 'stride')).toBeCloseTo(0.5, 6);
    expect(col(c1, 'log_channels')).toBeCloseTo(3 / 12, 6);
    expect(col(c1, 'min_keep')).toBeCloseTo(1 / 8, 6);
    const c2 = row('c2');
    // c2 (k1) and c3 (k3) are coupled through the residual add.
    expect(col(c2, 'op.conv')).toBe(1);
    expect(col(c2, 'kernel')).toBeCloseTo(2 / 7, 6);
    expect(col(c2, 'stride')).toBe(0);
    expect(col(c2, 'log_channels')).toBeCloseTo(4 / 12, 6);
  });

  it('marks topology: depth order, residual coupling, the classifier feed', () => {
    expect(col(row('c1'), 'depth')).toBeLessThan(col(row('c2'), 'depth'));
    expect(col(row('c1'), 'residual')).toBe(0);
    expect(col(row('c2'), 'residual')).toBe(1);
    expect(col(row('c2'), 'producers')).toBeCloseTo(1 / 4, 6);
    expect(col(row('c1'), 'feeds_classifier')).toBe(0);
    expect(col(row('c2'), 'feeds_classifier')).toBe(1);
  });

  it('computes params/MAC shares that agree with really removing a channel', () => {
    for (const [id, channels] of [
      ['c1', 8],
      ['c2', 16],
    ] as const) {
      expect(col(row(id), 'param_share')).toBeCloseTo(
        Math.min(1, shareByRemoval(graph, id, channels, 'params')),
        5,
      );
      expect(col(row(id), 'mac_share')).toBeCloseTo(
        Math.min(1, shareByRemoval(graph, id, channels, 'macs')),
        5,
      );
    }
  });

  it('carries the budget: ratio and metric one-hot', () => {
    for (const r of f.rows) {
      expect(col(r, 'budget_ratio')).toBeCloseTo(0.4, 6);
      expect([
        col(r, 'metric.params'),
        col(r, 'metric.macs'),
        col(r, 'metric.bytes'),
        col(r, 'metric.latency'),
      ]).toEqual([0, 1, 0, 0]);
    }
    const p = featurizeGroups(graph, { budget: { metric: 'params', ratio: 0.9 } });
    expect(col(p.rows[0], 'metric.params')).toBe(1);
    expect(col(p.rows[0], 'metric.macs')).toBe(0);
  });

  it('summarizes BN scales where a BN exists', () => {
    const gammas = [0.5, 1, 1, 1, 1, 1, 1, 2.5];
    const g = featurizeGroups(blockNet({ bn1Scale: (j) => (j % 2 ? -1 : 1) * gammas[j] }), { budget }); // |γ| counts
    const c1 = g.rows[0];
    const mean = gammas.reduce((a, b) => a + b) / 8;
    const std = Math.sqrt(gammas.reduce((a, b) => a + (b - mean) ** 2, 0) / 8);
    expect(col(c1, 'bn')).toBe(1);
    expect(col(c1, 'bn_scale')).toBeCloseTo(Math.log(mean) / 2, 5);
    expect(col(c1, 'bn_std')).toBeCloseTo(std / mean, 5);
    expect(col(c1, 'bn_min')).toBeCloseTo(0.5 / mean, 5);
    expect(col(c1, 'bn_max')).toBeCloseTo(Math.log(2.5 / mean), 5);
    // c2 has no BatchNormalization.
    expect([col(g.rows[1], 'bn'), col(g.rows[1], 'bn_scale'), col(g.rows[1], 'bn_min')]).toEqual([0, 0, 0]);
  });

  it('sees a dead channel in the importance statistics', () => {
    const dead = featurizeGroups(blockNet({ c1Weight: (i) => (i < 27 ? 0 : Math.sin(i) + 1.5) }), { budget })
      .rows[0];
    const alive = featurizeGroups(blockNet({ c1Weight: (i) => Math.sin(i) + 1.5 }), { budget }).rows[0];
    expect(col(alive, 'imp_dead')).toBe(0);
    // Half of the group's output slices (c1's) has a zero filter; dw's filter for it is not zero.
    expect(col(dead, 'imp_min')).toBeLessThan(col(alive, 'imp_min'));
    expect(col(dead, 'imp_gini')).toBeGreaterThan(col(alive, 'imp_gini'));
    expect(col(dead, 'imp_entropy')).toBeLessThan(col(alive, 'imp_entropy'));
    expect(col(dead, 'imp_std')).toBeGreaterThan(col(alive, 'imp_std'));
  });

  it('takes a sensitivity map and rejects bad ones', () => {
    const s = featurizeGroups(graph, { budget, sensitivity: { c2: 0.7, c1: -0.2 } });
    expect(col(s.rows[1], 'sensitivity')).toBeCloseTo(Math.log1p(0.7), 6);
    expect(col(s.rows[1], 'has_sensitivity')).toBe(1);
    expect(col(s.rows[0], 'sensitivity')).toBe(0); // a loss decrease counts as 0
    expect(col(s.rows[0], 'has_sensitivity')).toBe(1);
    expect(col(f.rows[0], 'has_sensitivity')).toBe(0);
    expect(() => featurizeGroups(graph, { budget, sensitivity: new Map([['fc', 1]]) })).toThrow(
      expect.objectContaining({ code: 'MC_UNKNOWN_GROUP' }),
    );
    expect(() => featurizeGroups(graph, { budget, sensitivity: { c1: Number.NaN } })).toThrow(
      expect.objectContaining({ code: 'MC_INVALID_ARGUMENT' }),
    );
  });

  it('is deterministic and validates its inputs', () => {
    const again = featurizeGroups(blockNet(), { budget });
    expect(again.rows).toEqual(f.rows);
    expect(featurizeGroups(graph, { budget, groups: ['c2'] }).groups.map((g) => g.id)).toEqual(['c2']);
    const errors: unknown[] = [];
    for (const bad of [
      () => featurizeGroups(graph, { budget: { metric: 'flops', ratio: 0.5 } as never }),
      () => featurizeGroups(graph, { budget: { metric: 'macs', ratio: 0 } }),
      () => featurizeGroups(graph, { budget, groups: ['fc'] }),
    ]) {
      try {
        bad();
      } catch (error) {
        errors.push(error);
      }
    }
    expect(errors.map((e) => isMetacompressError(e) && e.code)).toEqual([
      'MC_BUDGET_INVALID',
      'MC_BUDGET_INVALID',
      'MC_GROUP_UNPRUNABLE',
    ]);
  });

  it('names the group and tensor of NaN weights', () => {
    expect(() =>
      featurizeGroups(blockNet({ c1Weight: (i) => (i === 5 ? Number.NaN : 1) }), { budget }),
    ).toThrow(
      expect.objectContaining({
        code: 'MC_NAN_WEIGHTS',
        details: expect.objectContaining({ group: 'c1', field: 'c1.weight' }),
      }),
    );
  });
});

describe('featurizeGroups on the fixtures', () => {
  it('keeps every feature finite and inside its documented range', async () => {
    const ranges: Record<string, [number, number]> = {
      imp_scale: [-1, 1],
      bn_scale: [-3, 1],
      imp_std: [0, 4],
      imp_max: [0, 4],
      bn_std: [0, 4],
      bn_max: [0, 4],
      kernel: [0, 2],
      stride: [0, 2],
      producers: [0, 2],
      consumers: [0, 2],
      log_channels: [0, 1.5],
    };
    for (const name of ['lenet5', 'resnet-bn', 'mobilenetv2-bn']) {
      const f = featurizeGroups(await loadOnnx(`${FIXTURES}/${name}.onnx`), { budget });
      expect(f.rows.length).toBeGreaterThan(1);
      for (const r of f.rows) {
        FEATURE_NAMES.forEach((n, i) => {
          const [lo, hi] = ranges[n] ?? [0, 1];
          expect(Number.isFinite(r[i]), `${name} ${n}`).toBe(true);
          expect(r[i], `${name} ${n}`).toBeGreaterThanOrEqual(lo);
          expect(r[i], `${name} ${n}`).toBeLessThanOrEqual(hi);
        });
      }
    }
  });

  it('reads LeNet-5 and a residual network as expected', async () => {
    const lenet = featurizeGroups(await loadOnnx(`${FIXTURES}/lenet5.onnx`), { budget });
    expect(lenet.groups.map((g) => g.id)).toEqual(['/conv1/Conv', '/conv2/Conv', '/fc1/Gemm', '/fc2/Gemm']);
    expect(lenet.rows.map((r) => col(r, 'op.conv'))).toEqual([1, 1, 0, 0]);
    expect(lenet.rows.map((r) => col(r, 'op.gemm'))).toEqual([0, 0, 1, 1]);
    expect(lenet.rows.map((r) => col(r, 'feeds_classifier'))).toEqual([0, 0, 0, 1]);
    const depths = lenet.rows.map((r) => col(r, 'depth'));
    expect([...depths].sort((a, b) => a - b)).toEqual(depths);
    // conv1 is cheap in params and expensive in MACs; fc1 the reverse.
    expect(col(lenet.rows[0], 'mac_share')).toBeGreaterThan(col(lenet.rows[0], 'param_share'));
    expect(col(lenet.rows[2], 'param_share')).toBeGreaterThan(col(lenet.rows[2], 'mac_share'));

    const resnet = featurizeGroups(await loadOnnx(`${FIXTURES}/resnet-bn.onnx`), { budget });
    const residual = resnet.groups.filter((_, i) => col(resnet.rows[i], 'residual') === 1).map((g) => g.id);
    expect(residual).toEqual(resnet.groups.filter((g) => g.producers.length > 1).map((g) => g.id));
    expect(residual.length).toBe(3);
    expect(resnet.rows.every((r) => col(r, 'bn') === 1)).toBe(true);
  });
});
