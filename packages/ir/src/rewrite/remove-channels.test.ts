import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deepFreeze, isMetacompressError } from '@metacompress/core';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../graph';
import { analyzeCoupling } from '../coupling/analyze-coupling';
import { collectConstants } from '../coupling/constants';
import { mlpGraph, mobilenetV2Graph, resnetBlockGraph, TestGraph, vggBnGraph } from '../coupling/test-graphs';
import { runOrt, testInput } from '../coupling/test-ort';
import type { CouplingGroup } from '../coupling/types';
import { costOf } from '../cost/cost-of';
import { decodeOnnx } from '../onnx/decode';
import { toFloat32, withFloat32 } from '../tensor';
import { removeChannels } from './remove-channels';

/** Keeps the first half (rounded up) of every prunable group, or a given pattern. */
function halfKeep(
  groups: CouplingGroup[],
  pick: (c: number) => number[] = (c) => [...Array(Math.ceil(c / 2)).keys()],
): Map<string, number[]> {
  return new Map(groups.filter((g) => g.prunable).map((g) => [g.id, pick(g.channels)]));
}

/** Every other channel, starting at 1: exercises non-prefix index mapping. */
const odd = (c: number): number[] => [...Array(c).keys()].filter((i) => i % 2 === 1);

/**
 * The reference for a pruned graph: the original with the consumers' input weights of every removed
 * channel set to zero, so removed channels contribute nothing. Outputs must then be equal.
 */
function zeroRemovedInputs(graph: Graph, groups: CouplingGroup[], keep: Map<string, number[]>): Graph {
  const constants = collectConstants(graph);
  const edits = new Map<string, Float32Array>();
  for (const g of groups) {
    const kept = keep.get(g.id);
    if (!kept) continue;
    for (const s of g.slices.filter((x) => x.role === 'input')) {
      const t = constants.get(s.tensor)!.tensor;
      const data = edits.get(s.tensor) ?? Float32Array.from(toFloat32(t));
      edits.set(s.tensor, data);
      let inner = 1;
      for (let i = s.axis + 1; i < t.dims.length; i++) inner *= t.dims[i];
      let outer = 1;
      for (let i = 0; i < s.axis; i++) outer *= t.dims[i];
      for (let j = 0; j < g.channels; j++) {
        if (kept.includes(j)) continue;
        for (let o = 0; o < outer; o++) {
          const from = (o * t.dims[s.axis] + s.offset + j * s.stride) * inner;
          data.fill(0, from, from + s.stride * inner);
        }
      }
    }
  }
  return {
    ...graph,
    initializers: graph.initializers.map((t) =>
      edits.has(t.name) ? withFloat32(t, t.dims, edits.get(t.name)!) : t,
    ),
  };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const models: [string, () => Graph, number[]][] = [
  ['ResNet-style', resnetBlockGraph, [2, 3, 8, 8]],
  ['VGG-BN', vggBnGraph, [2, 3, 8, 8]],
  ['MobileNetV2-style', mobilenetV2Graph, [2, 3, 8, 8]],
  ['MLP', mlpGraph, [2, 20]],
];

describe('removeChannels', () => {
  for (const [name, make, shape] of models) {
    it(`${name}: every group halved still runs in onnxruntime-web, equal to the zero-masked original`, async () => {
      const graph = deepFreeze(make());
      const groups = analyzeCoupling(graph);
      for (const pick of [undefined, odd]) {
        const keep = halfKeep(groups, pick);
        expect(keep.size).toBe(groups.filter((g) => g.prunable).length);
        const pruned = removeChannels(graph, keep);
        const after = analyzeCoupling(pruned);
        // Same groups, each with the kept number of channels.
        expect(after.map((g) => [g.id, g.channels])).toEqual(
          groups.map((g) => [g.id, keep.get(g.id)?.length ?? g.channels]),
        );
        const input = testInput(shape);
        const [got, want] = await Promise.all([
          runOrt(pruned, { input }),
          runOrt(zeroRemovedInputs(graph, groups, keep), { input }),
        ]);
        const out = graph.outputs[0].name;
        expect(got[out].dims).toEqual([
          shape[0],
          graph.outputs[0].type?.kind === 'tensor' ? graph.outputs[0].type.shape![1] : -1,
        ]);
        expect(maxDiff(got[out].data, want[out].data)).toBeLessThan(1e-4);
      }
    });
  }

  it('MLP: params and MACs after halving match a hand count', () => {
    const pruned = removeChannels(mlpGraph(), halfKeep(analyzeCoupling(mlpGraph())));
    const cost = costOf(pruned, { batchSize: 1 });
    // fc1 20→8, fc2 8→6, fc3 6→4 (weights + biases)
    expect(cost.params).toBe(20 * 8 + 8 + (8 * 6 + 6) + (6 * 4 + 4));
    expect(cost.macs).toBe(20 * 8 + 8 * 6 + 6 * 4);
  });

  it('ResNet-style: params and MACs after halving match a hand count', () => {
    const graph = resnetBlockGraph();
    const cost = costOf(removeChannels(graph, halfKeep(analyzeCoupling(graph))), { batchSize: 1 });
    const bn = (c: number) => 4 * c;
    // stage1 8→4, b1_conv1 8→4, b2_conv1 16→8, stage2 16→8; 8×8 input, stride 2 in block 2
    const params =
      4 * 3 * 9 +
      bn(4) + // stem
      4 * 4 * 9 +
      bn(4) + // b1_conv1
      4 * 4 * 9 +
      bn(4) + // b1_conv2
      8 * 4 * 9 +
      bn(8) + // b2_conv1
      8 * 8 * 9 +
      bn(8) + // b2_conv2
      8 * 4 +
      bn(8) + // b2_down 1×1
      10 * 8 +
      10; // fc
    const macs = 4 * 64 * 27 + 4 * 64 * 36 + 4 * 64 * 36 + 8 * 16 * 36 + 8 * 16 * 72 + 8 * 16 * 4 + 10 * 8;
    expect(cost.params).toBe(params);
    expect(cost.macs).toBe(macs);
  });

  it('VGG-BN and MobileNetV2-style: params and MACs after halving match a hand count', () => {
    const vgg = vggBnGraph();
    const v = costOf(removeChannels(vgg, halfKeep(analyzeCoupling(vgg))), { batchSize: 1 });
    expect(v.params).toBe(
      4 * 27 + 4 + 16 + (4 * 36 + 4) + 16 + (8 * 36 + 8) + 32 + (16 * 32 + 16) + (10 * 16 + 10),
    );
    expect(v.macs).toBe(4 * 64 * 27 + 4 * 64 * 36 + 8 * 16 * 36 + 16 * 32 + 10 * 16);

    const mb = mobilenetV2Graph();
    const m = costOf(removeChannels(mb, halfKeep(analyzeCoupling(mb))), { batchSize: 1 });
    const convParams = 4 * 27 + 12 * 4 + 12 * 9 + 4 * 12 + 8 * 4;
    const bnParams = 4 * (4 + 12 + 12 + 4 + 8);
    const convCost = m.nodes
      .filter((n) => ['Conv', 'Gemm', 'BatchNormalization'].includes(n.opType))
      .reduce((a, n) => a + n.params, 0);
    expect(convCost).toBe(convParams + bnParams + (10 * 8 + 10));
    expect(m.macs).toBe(4 * 64 * 27 + 12 * 64 * 4 + 12 * 64 * 9 + 4 * 64 * 12 + 8 * 64 * 4 + 10 * 8);
  });

  it('rewrites the depthwise group attribute, Split sizes and Reshape literals; updates declared shapes', async () => {
    const mb = mobilenetV2Graph();
    const pruned = removeChannels(mb, { expand: [0, 1, 2, 3, 4] });
    const dw = pruned.nodes.find((n) => n.name === 'dw')!;
    expect(dw.attributes.group).toEqual({ type: 'int', value: 5 });
    expect(pruned.initializers.find((t) => t.name === 'dw.weight')!.dims).toEqual([5, 1, 3, 3]);

    const g = new TestGraph();
    const x = g.input('input', [2, 3, 4, 4]);
    const a = g.relu(g.conv(x, 3, 8, 'convA'), 'reluA');
    const [s0, s1] = g.node('Split', [a], { axis: 1 }, 'split', 2); // equal split, no sizes input
    const b = g.conv(s0, 4, 4, 'convB', { k: 1 });
    const c = g.conv(s1, 4, 4, 'convC', { k: 1 });
    const sum = g.op('Add', [b, c], {}, 'sum');
    const flat = g.op('Reshape', [sum, g.ints('target', [2, 64])], {}, 'flat');
    g.node('Gemm', [flat, g.init('fc.weight', [3, 64])], { transB: 1 }, 'fc', ['out']);
    g.output('out', [2, 3]);
    const graph: Graph = {
      ...g.build(),
      valueInfo: [{ name: 'sum_out', type: { kind: 'tensor', elemType: 1, shape: [2, 4, 4, 4] } }],
    };
    const groups = analyzeCoupling(graph);
    expect(groups.map((x) => [x.id, x.prunable])).toEqual([
      ['convA[0:4]', true],
      ['convA[4:8]', true],
      ['convB', true],
      ['fc', false],
    ]);
    const out = removeChannels(graph, { 'convA[0:4]': [1, 2, 3], 'convA[4:8]': [0], convB: [0, 2] });
    const split = out.nodes.find((n) => n.name === 'split')!;
    const sizes = collectConstants(out).get(split.inputs[1])!.tensor;
    expect(Array.from(toFloat32(sizes))).toEqual([3, 1]);
    const target = collectConstants(out).get(out.nodes.find((n) => n.name === 'flat')!.inputs[1])!.tensor;
    expect(Array.from(toFloat32(target))).toEqual([2, 32]);
    expect(out.valueInfo[0].type).toEqual({ kind: 'tensor', elemType: 1, shape: [2, 2, 4, 4] });
    expect(out.initializers.find((t) => t.name === 'fc.weight')!.dims).toEqual([3, 32]);
    const res = await runOrt(out, { input: testInput([2, 3, 4, 4]) });
    expect(res.out.dims).toEqual([2, 3]);
  });

  it('is pure: the input graph (frozen) is untouched and unchanged objects are shared', () => {
    const graph = deepFreeze(resnetBlockGraph());
    const before = graph.initializers.map((t) => Array.from(t.raw!));
    const out = removeChannels(graph, { b1_conv1: [0, 1, 2] });
    expect(graph.initializers.map((t) => Array.from(t.raw!))).toEqual(before);
    const fc = out.initializers.find((t) => t.name === 'fc.weight');
    expect(fc).toBe(graph.initializers.find((t) => t.name === 'fc.weight'));
    expect(out.nodes.find((n) => n.name === 'stem')).toBe(graph.nodes.find((n) => n.name === 'stem'));
    expect(out.initializers.find((t) => t.name === 'b1_conv1.weight')!.dims).toEqual([3, 8, 3, 3]);
    expect(out.initializers.find((t) => t.name === 'b1_conv2.weight')!.dims).toEqual([8, 3, 3, 3]);
    // Keeping every channel returns the same graph.
    expect(removeChannels(graph, { b1_conv1: [0, 1, 2, 3, 4, 5, 6, 7] })).toBe(graph);
  });

  it('copies exactly the kept channels of every slice', () => {
    const graph = mlpGraph();
    const out = removeChannels(graph, { fc1: [2, 5, 11] });
    const w = (g: Graph, n: string) => {
      const t = g.initializers.find((x) => x.name === n)!;
      return { dims: t.dims, v: toFloat32(t) };
    };
    const w1 = w(graph, 'fc1.weight');
    const n1 = w(out, 'fc1.weight');
    expect(n1.dims).toEqual([3, 20]);
    expect(Array.from(n1.v.subarray(20, 40))).toEqual(Array.from(w1.v.subarray(5 * 20, 6 * 20)));
    const w2 = w(graph, 'fc2.weight');
    const n2 = w(out, 'fc2.weight');
    expect(n2.dims).toEqual([12, 3]);
    for (let r = 0; r < 12; r++)
      expect([n2.v[r * 3], n2.v[r * 3 + 1], n2.v[r * 3 + 2]]).toEqual([
        w2.v[r * 16 + 2],
        w2.v[r * 16 + 5],
        w2.v[r * 16 + 11],
      ]);
    expect(Array.from(w(out, 'fc1.bias').v)).toEqual([2, 5, 11].map((i) => w(graph, 'fc1.bias').v[i]));
  });

  it('rejects unknown groups, unprunable groups and bad indices with typed errors', () => {
    const graph = mlpGraph();
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        if (isMetacompressError(e)) return `${e.code} ${String(e.details.group)}`;
        throw e;
      }
      return undefined;
    };
    expect(code(() => removeChannels(graph, { nope: [0] }))).toBe('MC_UNKNOWN_GROUP nope');
    expect(code(() => removeChannels(graph, { fc3: [0, 1] }))).toBe('MC_GROUP_UNPRUNABLE fc3');
    expect(code(() => removeChannels(graph, { fc1: [3, 1] }))).toBe('MC_INVALID_ARGUMENT fc1');
    expect(code(() => removeChannels(graph, { fc1: [0, 16] }))).toBe('MC_INVALID_ARGUMENT fc1');
    expect(code(() => removeChannels(graph, { fc1: [] }))).toBe('MC_INVALID_ARGUMENT fc1');
    expect(code(() => removeChannels(graph, { fc1: [0.5] }))).toBe('MC_INVALID_ARGUMENT fc1');
  });
});

describe('removeChannels on the trained fixture models (PyTorch exports)', () => {
  const dir = resolve(import.meta.dirname, '../../../../fixtures/models');
  for (const file of ['resnet-bn.onnx', 'vgg_bn-bn.onnx', 'mobilenetv2-bn.onnx', 'lenet300.onnx']) {
    it(`${file}: all groups but the logits are prunable; halved, it runs and matches the zero-masked original`, async () => {
      const graph = decodeOnnx(readFileSync(resolve(dir, file)));
      const groups = analyzeCoupling(graph);
      expect(groups.filter((g) => !g.prunable).map((g) => g.reason)).toEqual([
        expect.stringContaining('is a graph output'),
      ]);
      const keep = halfKeep(groups, odd);
      const pruned = removeChannels(graph, keep);
      const inputShape = file === 'lenet300.onnx' ? [2, 784] : [2, 1, 28, 28];
      const input = testInput(inputShape);
      const name = graph.inputs[0].name;
      const [got, want] = await Promise.all([
        runOrt(pruned, { [name]: input }),
        runOrt(zeroRemovedInputs(graph, groups, keep), { [name]: input }),
      ]);
      const out = graph.outputs[0].name;
      expect(got[out].dims).toEqual([2, 10]);
      expect(maxDiff(got[out].data, want[out].data)).toBeLessThan(1e-3);
      expect(costOf(pruned).params).toBeLessThan(costOf(graph).params * 0.55);
    });
  }
});
