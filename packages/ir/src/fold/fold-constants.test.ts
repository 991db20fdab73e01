import { deepFreeze } from '@metacompress/core';
import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import type { Graph, GraphBody } from '../graph';
import { inferShapes } from '../shape/infer-shapes';
import { GraphBuilder, lenet5 } from '../shape/test-builders';
import { ramp, runOrt } from '../shape/test-ort';
import { createTensor, toNumbers } from '../tensor';
import { foldConstants } from './fold-constants';

const init = (g: Graph, name: string) => g.initializers.find((t) => t.name === name);

describe('foldConstants', () => {
  it('folds the PyTorch flatten (Shape→Gather→Unsqueeze→Concat→Reshape) into a literal [0, -1] and runs identically in onnxruntime-web', async () => {
    const graph = lenet5({ flatten: 'pytorch' });
    const snapshot = JSON.stringify(graph, (_k, v) =>
      ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v,
    );
    const folded = foldConstants(deepFreeze(graph));
    // the input graph is untouched
    expect(JSON.stringify(graph, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v))).toBe(
      snapshot,
    );
    const ops = (g: Graph) => g.nodes.map((n) => n.opType);
    expect(ops(graph)).toContain('Shape');
    expect(ops(folded)).toEqual([
      'Conv',
      'Relu',
      'MaxPool',
      'Conv',
      'Relu',
      'MaxPool',
      'Reshape',
      'Gemm',
      'Relu',
      'Gemm',
      'Relu',
      'Gemm',
    ]);
    const reshape = folded.nodes.find((n) => n.opType === 'Reshape')!;
    const target = init(folded, reshape.inputs[1])!;
    expect(target.dataType).toBe(DataType.INT64);
    expect(Array.from(toNumbers(target))).toEqual([0, -1]);
    // unchanged nodes and tensors are shared, helper initializers of the dead subgraph are gone
    expect(folded.nodes[0]).toBe(graph.nodes[0]);
    expect(init(folded, 'conv1.weight')).toBe(init(graph, 'conv1.weight'));
    expect(folded.initializers.filter((t) => t.dataType === DataType.INT64).map((t) => t.name)).toEqual([
      reshape.inputs[1],
    ]);
    // a literal target is what coupling/pruning wants; shapes are unchanged
    expect(inferShapes(folded).get(folded.outputs[0].name)?.shape).toEqual(['N', 10]);
    // same outputs at batch 1 and batch 3 (the target must not have baked in a batch size)
    for (const batch of [1, 3]) {
      const feeds = { input: { dims: [batch, 1, 28, 28], data: ramp(batch * 784) } };
      const [before, after] = await Promise.all([runOrt(graph, feeds), runOrt(folded, feeds)]);
      const name = graph.outputs[0].name;
      expect(after[name].dims).toEqual([batch, 10]);
      expect(after[name].data).toEqual(before[name].data);
    }
  });

  it('with a static batch, Shape-derived values fold all the way into a constant target', () => {
    const graph = lenet5({ flatten: 'pytorch', batch: 2 });
    const folded = foldConstants(graph);
    const reshape = folded.nodes.find((n) => n.opType === 'Reshape')!;
    expect(Array.from(toNumbers(init(folded, reshape.inputs[1])!))).toEqual([2, -1]);
    expect(
      folded.nodes.some((n) => ['Shape', 'Gather', 'Concat', 'Unsqueeze', 'Constant'].includes(n.opType)),
    ).toBe(false);
  });

  it('turns Constant nodes into initializers, sharing the tensor bytes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 3]);
    const tensor = createTensor('k', DataType.FLOAT, [3], [1, 2, 3]);
    const k = b.op('Constant', [], { value: tensor });
    const f = b.op('Constant', [], { value_floats: { type: 'floats', value: [0.5, 0.25, 2] } });
    b.output(b.op('Mul', [b.op('Add', [x, k]), f]));
    const folded = foldConstants(b.build());
    expect(folded.nodes.map((n) => n.opType)).toEqual(['Add', 'Mul']);
    expect(init(folded, k)?.raw).toBe(tensor.raw);
    expect(Array.from(toNumbers(init(folded, f)!))).toEqual([0.5, 0.25, 2]);
  });

  it('folds ops on initializers, and the result runs like the original', async () => {
    const b = new GraphBuilder({ seed: 5 });
    const x = b.input('x', [2, 4]);
    const wt = b.weight('wt', [3, 4]);
    const w = b.op('Transpose', [wt]); // [4, 3], only consumer of wt: folds without growing storage
    const scale = b.op('Mul', [
      b.initializer('a', DataType.FLOAT, [3], [1, 2, 3]),
      b.initializer('c', DataType.FLOAT, [], [0.5]),
    ]);
    b.output(b.op('Mul', [b.op('MatMul', [x, w]), scale]));
    const graph = b.build();
    const folded = foldConstants(graph);
    expect(folded.nodes.map((n) => n.opType)).toEqual(['MatMul', 'Mul']);
    expect(init(folded, w)?.dims).toEqual([4, 3]);
    expect(Array.from(toNumbers(init(folded, scale)!))).toEqual([0.5, 1, 1.5]);
    expect(init(folded, 'wt')).toBeUndefined();
    const feeds = { x: { dims: [2, 4], data: ramp(8) } };
    const [before, after] = await Promise.all([runOrt(graph, feeds), runOrt(folded, feeds)]);
    expect(after[graph.outputs[0].name].data).toEqual(before[graph.outputs[0].name].data);
  });

  it('never grows storage: a shared large weight, an fp16→fp32 Cast and a DequantizeLinear stay as they are', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 100]);
    const shared = b.weight('shared', [100, 100]);
    const t = b.op('Transpose', [shared]);
    const half = b.initializer(
      'half',
      DataType.FLOAT16,
      [100, 100],
      Array.from({ length: 10000 }, (_, i) => (i % 7) / 8),
    );
    const q = b.initializer(
      'q',
      DataType.INT8,
      [100, 100],
      Array.from({ length: 10000 }, (_, i) => (i % 11) - 5),
    );
    const dq = b.op('DequantizeLinear', [q, b.initializer('s', DataType.FLOAT, [], [0.01])]);
    const y = b.op('Add', [
      b.op('Add', [b.op('MatMul', [x, t]), b.op('MatMul', [x, shared])]),
      b.op('MatMul', [x, b.op('Cast', [half], { to: DataType.FLOAT })]),
    ]);
    b.output(b.op('Add', [y, b.op('MatMul', [x, dq])]));
    const graph = b.build();
    const folded = foldConstants(graph);
    expect(folded.nodes.map((n) => n.opType)).toEqual(graph.nodes.map((n) => n.opType));
    expect(folded.initializers).toEqual(graph.initializers);
  });

  it('keeps graph outputs, even constant ones, and leaves pre-existing dead nodes alone', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 3]);
    const c = b.op('Add', [b.int64('a', [1, 2]), b.int64('bb', [3, 4])]);
    b.op('Relu', [x]); // dead before folding: not our business
    b.output(c, [2], DataType.INT64);
    b.output(b.op('Relu', [x]));
    const folded = foldConstants(b.build());
    expect(folded.nodes.map((n) => n.opType)).toEqual(['Add', 'Relu', 'Relu']);
  });

  it('saturates int64 sentinels (INT64_MAX slice ends) instead of wrapping', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [4, 6]);
    const ends = b.op('Concat', [b.int64('e0', [3]), b.int64('e1', [9223372036854775807n])], { axis: 0 });
    b.output(b.op('Slice', [x, b.int64('s', [1, 2]), ends]));
    const folded = foldConstants(b.build());
    const t = init(folded, ends)!;
    expect(Array.from(new BigInt64Array(t.raw!.buffer, t.raw!.byteOffset, 2))).toEqual([
      3n,
      9223372036854775807n,
    ]);
  });

  it('keeps values a nested subgraph reads, and IR < 4 inputs consistent with initializers', () => {
    const b = new GraphBuilder({ irVersion: 3 });
    const x = b.input('x', [2, 3]);
    const axes = b.int64('axes', [0]);
    b.input(axes, [1], DataType.INT64);
    const shape = b.op('Shape', [x]);
    const inner: GraphBody = {
      name: 'then',
      nodes: [
        {
          name: 'use',
          opType: 'Identity',
          domain: '',
          inputs: [shape],
          outputs: ['then_out'],
          attributes: {},
        },
      ],
      inputs: [],
      outputs: [{ name: 'then_out' }],
      valueInfo: [],
      initializers: [],
    };
    const cond = b.input('cond', [], DataType.BOOL);
    b.output(
      b.op('If', [cond], {
        then_branch: { type: 'graph', value: inner },
        else_branch: { type: 'graph', value: inner },
      }),
    );
    const idx = b.int64('idx', [1], []);
    b.input(idx, [], DataType.INT64);
    const total = b.op('Add', [b.op('Gather', [shape, idx]), b.op('ReduceSum', [shape], { keepdims: 0 })]);
    b.output(b.op('Unsqueeze', [total], { axes: [0] }), [1], DataType.INT64);
    const graph = b.build();
    const folded = foldConstants(graph);
    // Shape folds into an initializer (the If branches still read it by name); Gather, ReduceSum, Add fold too
    expect(Array.from(toNumbers(init(folded, shape)!))).toEqual([2, 3]);
    expect(Array.from(toNumbers(init(folded, total)!))).toEqual([3 + 5]);
    expect(folded.nodes.map((n) => n.opType)).toEqual(['If', 'Unsqueeze']);
    // IR 3 lists initializers among inputs: new ones are added, dropped ones removed, untouched ones kept
    const names = new Set(folded.inputs.map((i) => i.name));
    for (const t of folded.initializers) expect(names.has(t.name)).toBe(true);
    expect(init(folded, idx)).toBeUndefined();
    expect(names.has(idx)).toBe(false);
    expect(names.has(axes)).toBe(true); // never read by any node: left alone
  });
});
