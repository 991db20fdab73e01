import { deepFreeze, isMetacompressError } from '@metacompress/core';
import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import type { Graph } from '../graph';
import { analyzeCoupling } from '../coupling/analyze-coupling';
import { mlpGraph, TestGraph } from '../coupling/test-graphs';
import { runOrt, testInput } from '../coupling/test-ort';
import { toFloat32 } from '../tensor';
import { insertQdq, stripQdq, type QdqSpec } from './qdq';
import { removeChannels } from './remove-channels';

/** Per-output-channel symmetric int8 scales of a [N, K] weight. */
function rowScales(graph: Graph, name: string): number[] {
  const t = graph.initializers.find((x) => x.name === name)!;
  const v = toFloat32(t);
  const [n, k] = t.dims;
  return Array.from({ length: n }, (_, r) => {
    let m = 0;
    for (let c = 0; c < k; c++) m = Math.max(m, Math.abs(v[r * k + c]));
    return m / 127;
  });
}

function mlpSpecs(graph: Graph): QdqSpec[] {
  return [
    { tensor: 'input', scale: 2 / 255, zeroPoint: 128, dataType: 'uint8' },
    { tensor: 'relu1_out', scale: 0.02, zeroPoint: 0, dataType: 'uint8' },
    { tensor: 'fc1.weight', scale: rowScales(graph, 'fc1.weight'), axis: 0 },
    { tensor: 'fc2.weight', scale: 0.5 / 127 },
  ];
}

const shape = (g: Graph) => g.nodes.map((n) => `${n.opType}(${n.inputs.join(',')})->${n.outputs.join(',')}`);

describe('insertQdq / stripQdq', () => {
  it('inserts Q/DQ on activations and stores weights as int8 + DequantizeLinear; runs close to float in onnxruntime-web', async () => {
    const graph = deepFreeze(mlpGraph());
    const q = insertQdq(graph, mlpSpecs(graph));
    expect(q.nodes.map((n) => n.opType)).toEqual([
      'QuantizeLinear',
      'DequantizeLinear',
      'DequantizeLinear',
      'Gemm',
      'Relu',
      'QuantizeLinear',
      'DequantizeLinear',
      'DequantizeLinear',
      'Gemm',
      'Relu',
      'Gemm',
    ]);
    const fc1 = q.nodes.find((n) => n.name === 'fc1')!;
    expect(fc1.inputs).toEqual(['input_dequantized', 'fc1.weight', 'fc1.bias']);
    const wq = q.initializers.find((t) => t.name === 'fc1.weight_quantized')!;
    expect(wq.dataType).toBe(DataType.INT8);
    expect(q.initializers.some((t) => t.name === 'fc1.weight')).toBe(false);
    expect(q.nodes.find((n) => n.outputs[0] === 'fc1.weight')!.attributes.axis).toEqual({
      type: 'int',
      value: 0,
    });
    const x = testInput([4, 20]);
    const [a, b] = await Promise.all([runOrt(q, { input: x }), runOrt(graph, { input: x })]);
    let err = 0;
    let mag = 0;
    for (let i = 0; i < a.logits.data.length; i++) {
      err = Math.max(err, Math.abs(a.logits.data[i] - b.logits.data[i]));
      mag = Math.max(mag, Math.abs(b.logits.data[i]));
    }
    expect(a.logits.dims).toEqual([4, 4]);
    expect(err).toBeGreaterThan(0); // really quantized
    expect(err / mag).toBeLessThan(0.05);
  });

  it('strip(insert(g)) gives back the same nodes and initializer names, weights within half a step', () => {
    const graph = mlpGraph();
    const specs = mlpSpecs(graph);
    const back = stripQdq(insertQdq(graph, specs));
    expect(shape(back)).toEqual(shape(graph));
    expect(back.initializers.map((t) => t.name).sort()).toEqual(graph.initializers.map((t) => t.name).sort());
    const scales = specs[2].scale as number[];
    const w0 = toFloat32(graph.initializers.find((t) => t.name === 'fc1.weight')!);
    const w1 = toFloat32(back.initializers.find((t) => t.name === 'fc1.weight')!);
    for (let i = 0; i < w0.length; i++)
      expect(Math.abs(w0[i] - w1[i])).toBeLessThanOrEqual(scales[Math.floor(i / 20)] / 2 + 1e-7);
    expect(stripQdq(graph)).toBe(graph);
  });

  it("weights: 'qdq' keeps the float weight behind a Q/DQ pair; strip removes the pair", () => {
    const graph = mlpGraph();
    const q = insertQdq(graph, [{ tensor: 'fc2.weight', scale: 0.01 }], { weights: 'qdq' });
    expect(q.initializers.some((t) => t.name === 'fc2.weight')).toBe(true);
    expect(q.nodes.find((n) => n.name === 'fc2')!.inputs[1]).toBe('fc2.weight_dequantized');
    expect(shape(stripQdq(q))).toEqual(shape(graph));
  });

  it('raises the opset for per-axis scales, and refuses when an op changed meaning in between', () => {
    const graph = {
      ...mlpGraph(),
      model: { ...mlpGraph().model, irVersion: 6, opsetImports: [{ domain: '', version: 11 }] },
    };
    const q = insertQdq(graph, [{ tensor: 'fc1.weight', scale: rowScales(graph, 'fc1.weight'), axis: 0 }]);
    expect(q.model.opsetImports).toEqual([{ domain: '', version: 13 }]);
    expect(q.model.irVersion).toBe(7);
    const perTensor = insertQdq(graph, [{ tensor: 'relu1_out', scale: 0.1 }]);
    expect(perTensor.model.opsetImports).toEqual([{ domain: '', version: 11 }]);

    const g = new TestGraph(11);
    const x = g.input('input', ['N', 4]);
    const [a] = g.node('Split', [x], { axis: 1, split: [2, 2] }, 'split', 2);
    g.node('Gemm', [a, g.init('w', [2, 3])], {}, 'fc', ['out']);
    g.output('out');
    try {
      insertQdq(g.build(), [{ tensor: 'w', scale: [0.1, 0.1, 0.1], axis: 1 }]);
      expect.unreachable();
    } catch (e) {
      expect(isMetacompressError(e, 'MC_UNSUPPORTED_OP')).toBe(true);
      expect((e as Error).message).toContain('Split changed in opset 13');
    }
  });

  it('rejects bad specs with typed errors naming the tensor', () => {
    const graph = mlpGraph();
    const bad: [QdqSpec, string][] = [
      [{ tensor: 'nope', scale: 1 }, "no tensor 'nope'"],
      [{ tensor: 'input', scale: 0 }, 'finite positive'],
      [{ tensor: 'input', scale: 1, zeroPoint: 300, dataType: 'uint8' }, 'integers in [0, 255]'],
      [{ tensor: 'fc1.weight', scale: [1, 2], axis: 0 }, '2 scales for 16 elements'],
      [{ tensor: 'fc1.weight', scale: [1, 2] }, 'needs an axis'],
    ];
    for (const [spec, message] of bad) {
      expect(() => insertQdq(graph, [spec])).toThrow(message);
    }
    expect(() =>
      insertQdq(graph, [
        { tensor: 'input', scale: 1 },
        { tensor: 'input', scale: 2 },
      ]),
    ).toThrow('listed twice');
  });

  it('a quantized MLP (per-channel DQ weights) is still analyzed and pruned, and runs', async () => {
    const graph = mlpGraph();
    const q = insertQdq(graph, [
      { tensor: 'fc1.weight', scale: rowScales(graph, 'fc1.weight'), axis: 0 },
      { tensor: 'fc2.weight', scale: rowScales(graph, 'fc2.weight'), axis: 0 },
      { tensor: 'relu1_out', scale: 0.02, dataType: 'uint8' },
    ]);
    const groups = analyzeCoupling(q);
    const fc1 = groups.find((g) => g.id === 'fc1')!;
    expect(fc1.prunable).toBe(true);
    expect(fc1.slices.map((s) => `${s.tensor}@${s.axis}:${s.role}`)).toEqual([
      'fc1.weight_quantized@0:output',
      'fc1.weight_scale@0:qparam',
      'fc1.weight_zero_point@0:qparam',
      'fc1.bias@0:bias',
      'fc2.weight_quantized@1:input',
    ]);
    const pruned = removeChannels(q, { fc1: [0, 2, 4, 6, 8], fc2: [1, 3, 5] });
    expect(pruned.initializers.find((t) => t.name === 'fc1.weight_scale')!.dims).toEqual([5]);
    const out = await runOrt(pruned, { input: testInput([2, 20]) });
    expect(out.logits.dims).toEqual([2, 4]);
  });
});
