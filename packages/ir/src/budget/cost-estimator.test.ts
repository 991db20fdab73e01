import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, isMetacompressError } from '@metacompress/core';
import { mlpGraph, mobilenetV2Graph, resnetBlockGraph, TestGraph, vggBnGraph } from '../coupling/test-graphs';
import { costOf } from '../cost/cost-of';
import { DataType } from '../dtype';
import type { Graph } from '../graph';
import { loadOnnx } from '../onnx/files';
import { removeChannels } from '../rewrite/remove-channels';
import { createTensor } from '../tensor';
import { createCostEstimator, estimateCost } from './cost-estimator';

const fixtures = resolve(import.meta.dirname, '../../../../fixtures/models');

/** Random keep counts for every prunable group, and the matching "first k channels" keep map. */
function randomKeeps(
  graph: Graph,
  seed: number,
): { counts: Map<string, number>; keep: Map<string, number[]> } {
  const rng = createRng(seed);
  const counts = new Map<string, number>();
  const keep = new Map<string, number[]>();
  for (const g of createCostEstimator(graph).groups) {
    if (!g.prunable) continue;
    const k = 1 + rng.int(g.channels);
    const channels = Array.from({ length: g.channels }, (_, i) => i)
      .sort(() => rng.next() - 0.5)
      .slice(0, k)
      .sort((a, b) => a - b);
    counts.set(g.id, k);
    keep.set(g.id, channels);
  }
  return { counts, keep };
}

function expectExact(graph: Graph, seeds: number[]): void {
  const est = createCostEstimator(graph);
  for (const seed of seeds) {
    const { counts, keep } = randomKeeps(graph, seed);
    const real = costOf(removeChannels(graph, keep));
    const estimate = est.estimate(counts);
    expect(estimate).toEqual({ params: real.params, macs: real.macs, flops: real.flops, bytes: real.bytes });
  }
}

/** Conv whose weight is int8 + per-channel DequantizeLinear, then a conv whose weight is a Constant node. */
function quantizedAndConstantGraph(): Graph {
  const g = new TestGraph();
  const x = g.input('input', ['N', 3, 6, 6]);
  const q = new Int8Array(8 * 3 * 3 * 3).map((_, i) => ((i * 37) % 255) - 127);
  g.initializers.push(createTensor('w1_q', DataType.INT8, [8, 3, 3, 3], q));
  g.init('w1_scale', [8], (i) => 0.01 * (i + 1));
  g.initializers.push(createTensor('w1_zp', DataType.INT8, [8], new Int8Array(8)));
  const w1 = g.op('DequantizeLinear', ['w1_q', 'w1_scale', 'w1_zp'], { axis: 0 }, 'w1_dq');
  const h = g.relu(g.op('Conv', [x, w1], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'), 'relu1');
  const w2 = createTensor(
    'w2',
    DataType.FLOAT,
    [4, 8, 1, 1],
    new Float32Array(32).map((_, i) => Math.sin(i)),
  );
  g.node('Constant', [], { value: w2 }, 'w2_const', ['w2']);
  g.node('Conv', [h, 'w2'], { kernel_shape: [1, 1] }, 'conv2', ['out']);
  g.output('out', ['N', 4, 6, 6]);
  return g.build();
}

describe('createCostEstimator', () => {
  it('prices the unpruned graph like costOf', () => {
    const graph = resnetBlockGraph();
    const est = createCostEstimator(graph);
    const c = costOf(graph);
    expect(est.base).toEqual({ params: c.params, macs: c.macs, flops: c.flops, bytes: c.bytes });
    expect(est.estimate({})).toEqual(est.base);
  });

  it('matches costOf(removeChannels(...)) exactly on hand-built ResNet, VGG-BN, MobileNetV2 and MLP graphs', () => {
    for (const graph of [resnetBlockGraph(), vggBnGraph(), mobilenetV2Graph(), mlpGraph()])
      expectExact(graph, [1, 2, 3, 4]);
  });

  it('follows DequantizeLinear weights and Constant-node weights', () => {
    const graph = quantizedAndConstantGraph();
    const est = createCostEstimator(graph);
    expect(est.groups.find((g) => g.id === 'conv1')?.prunable).toBe(true);
    expectExact(graph, [5, 6, 7]);
    // halving conv1 halves the int8 weight bytes, its scales and zero points, and conv2's input channels
    const half = est.estimate({ conv1: 4 });
    expect(half.params).toBe(est.base.params - (4 * 27 + 4 * 4));
    expect(half.macs).toBe(est.base.macs / 2);
  });

  it.each([
    'lenet300',
    'lenet5',
    'vgg_bn',
    'resnet',
    'mobilenetv2',
    'vgg_bn-bn',
    'resnet-bn',
    'mobilenetv2-bn',
  ])('matches costOf(removeChannels(...)) exactly on the %s fixture', async (name) => {
    const graph = await loadOnnx(resolve(fixtures, `${name}.onnx`));
    expectExact(graph, [11, 12, 13]);
  });

  it('counts MACs at the requested batch size', () => {
    const graph = vggBnGraph();
    const one = createCostEstimator(graph).estimate({ conv1: 4 });
    const eight = createCostEstimator(graph, { batchSize: 8 }).estimate({ conv1: 4 });
    expect(eight.macs).toBe(8 * one.macs);
    expect(eight.params).toBe(one.params);
  });

  it('names the group in typed errors: unknown, unprunable, out of range', () => {
    const graph = mlpGraph();
    const est = createCostEstimator(graph);
    const code = (f: () => unknown): [string, unknown] => {
      try {
        f();
      } catch (e) {
        if (isMetacompressError(e)) return [e.code, e.details.group];
        throw e;
      }
      throw new Error('no error');
    };
    expect(code(() => est.estimate({ nope: 1 }))).toEqual(['MC_UNKNOWN_GROUP', 'nope']);
    expect(code(() => est.estimate({ fc3: 2 }))).toEqual(['MC_GROUP_UNPRUNABLE', 'fc3']);
    expect(code(() => est.estimate({ fc1: 0 }))).toEqual(['MC_INVALID_ARGUMENT', 'fc1']);
    expect(code(() => est.estimate({ fc1: 17 }))).toEqual(['MC_INVALID_ARGUMENT', 'fc1']);
    expect(code(() => est.estimate({ fc1: 2.5 }))).toEqual(['MC_INVALID_ARGUMENT', 'fc1']);
    // keeping an unprunable group whole is fine
    expect(est.estimate({ fc3: 4 })).toEqual(est.base);
  });

  it('estimateCost is the one-shot form', () => {
    const graph = mlpGraph();
    expect(estimateCost(graph, { fc1: 8 })).toEqual(createCostEstimator(graph).estimate({ fc1: 8 }));
  });
});
