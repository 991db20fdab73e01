import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deepFreeze } from '@metacompress/core';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../graph';
import { mobilenetV2Graph, resnetBlockGraph, TestGraph, vggBnGraph } from '../coupling/test-graphs';
import { runOrt, testInput } from '../coupling/test-ort';
import { decodeOnnx } from '../onnx/decode';
import { foldBatchNorm } from './fold-batch-norm';

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

async function compare(graph: Graph, folded: Graph, shape: number[], input = 'input'): Promise<number> {
  const x = testInput(shape);
  const [a, b] = await Promise.all([runOrt(folded, { [input]: x }), runOrt(graph, { [input]: x })]);
  const out = graph.outputs[0].name;
  expect(a[out].dims).toEqual(b[out].dims);
  return maxRelDiff(a[out].data, b[out].data);
}

const count = (g: Graph, op: string): number => g.nodes.filter((n) => n.opType === op).length;

describe('foldBatchNorm', () => {
  for (const [name, make] of [
    ['ResNet-style', resnetBlockGraph],
    ['VGG-BN', vggBnGraph],
    ['MobileNetV2-style', mobilenetV2Graph],
  ] as const) {
    it(`${name}: removes every BN and matches the unfolded graph in onnxruntime-web to 1e-5`, async () => {
      const graph = deepFreeze(make());
      const bns = count(graph, 'BatchNormalization');
      expect(bns).toBeGreaterThan(0);
      const folded = foldBatchNorm(graph);
      expect(count(folded, 'BatchNormalization')).toBe(0);
      expect(folded.nodes.length).toBe(graph.nodes.length - bns);
      // BN parameters are gone, nothing else
      expect(folded.initializers.some((t) => /\.(mean|var)$/.test(t.name))).toBe(false);
      expect(await compare(graph, folded, [2, 3, 8, 8])).toBeLessThan(1e-5);
    });
  }

  it('folds into Gemm (alpha, beta, transB=0, a [1, N] bias) and into ConvTranspose with groups', async () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 4, 5, 5]);
    const ct = g.op(
      'ConvTranspose',
      [x, g.init('ct.weight', [4, 3, 2, 2]), g.init('ct.bias', [6])],
      { kernel_shape: [2, 2], strides: [2, 2], group: 2 },
      'ct',
    );
    const b1 = g.relu(g.bn(ct, 6, 'bn_ct'));
    const flat = g.op('Flatten', [b1], { axis: 1 }, 'flat');
    const fc = g.op(
      'Gemm',
      [flat, g.init('fc.weight', [600, 7]), g.init('fc.bias', [1, 7])],
      { alpha: 0.5, beta: 1.5 },
      'fc',
    );
    g.node(
      'BatchNormalization',
      [
        fc,
        g.init('s', [7], (i) => 1 + i / 7),
        g.init('b', [7]),
        g.init('m', [7]),
        g.init('v', [7], (i) => 0.5 + i / 10),
      ],
      { epsilon: 1e-3 },
      'bn_fc',
      ['out'],
    );
    g.output('out', ['N', 7]);
    const graph = g.build();
    const folded = foldBatchNorm(graph);
    expect(count(folded, 'BatchNormalization')).toBe(0);
    const gemm = folded.nodes.find((n) => n.name === 'fc')!;
    expect(gemm.outputs).toEqual(['out']);
    expect(gemm.attributes.beta).toEqual({ type: 'float', value: 1 });
    expect(await compare(graph, folded, [3, 4, 5, 5])).toBeLessThan(1e-5);
  });

  it('leaves a BN alone when the conv output has another reader, and adds a bias when there is none', async () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 4, 4]);
    const c = g.conv(x, 3, 4, 'shared', { bias: false });
    const b = g.bn(c, 4, 'bn_shared');
    const c2 = g.conv(x, 3, 4, 'nobias', { bias: false });
    const b2 = g.bn(c2, 4, 'bn_nobias');
    g.node('Sum', [b, c, b2], {}, 'sum', ['out']);
    g.output('out', ['N', 4, 4, 4]);
    const graph = g.build();
    const folded = foldBatchNorm(graph);
    expect(folded.nodes.map((n) => n.name)).toEqual(['shared', 'bn_shared', 'nobias', 'sum']);
    const nobias = folded.nodes.find((n) => n.name === 'nobias')!;
    expect(nobias.inputs).toHaveLength(3);
    expect(folded.initializers.find((t) => t.name === nobias.inputs[2])!.dims).toEqual([4]);
    expect(await compare(graph, folded, [1, 3, 4, 4])).toBeLessThan(1e-5);
    // Nothing to fold: the same graph comes back.
    expect(foldBatchNorm(folded)).toBe(folded);
  });

  it('trained ResNet fixture (BN biases shared through Identity): folds all BNs, same outputs', async () => {
    const file = resolve(import.meta.dirname, '../../../../fixtures/models/resnet-bn.onnx');
    const graph = decodeOnnx(readFileSync(file));
    const folded = foldBatchNorm(graph);
    expect(count(folded, 'BatchNormalization')).toBe(0);
    expect(count(folded, 'Identity')).toBe(0);
    expect(await compare(graph, folded, [2, 1, 28, 28], graph.inputs[0].name)).toBeLessThan(1e-5);
  });
});
