import { isMetacompressError } from '@metacompress/core';
import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import type { Dim, Graph } from '../graph';
import { createTensor } from '../tensor';
import { inferShapes, type InferShapesOptions } from './infer-shapes';
import { GraphBuilder, lenet5 } from './test-builders';
import type { ValueShape } from './value-shape';

/** Builds a graph with one input, runs inference, returns the shape of what `build` returns. */
function infer(
  inputShape: readonly Dim[] | undefined,
  build: (b: GraphBuilder, x: string) => string,
  opset = 13,
  options: InferShapesOptions = {},
): ValueShape | undefined {
  const b = new GraphBuilder({ opset });
  const x = b.input('x', inputShape);
  const out = build(b, x);
  b.output(out);
  return inferShapes(b.build(), options).get(out);
}

function shapeOf(
  inputShape: readonly Dim[] | undefined,
  build: (b: GraphBuilder, x: string) => string,
  opset = 13,
): readonly Dim[] | undefined {
  return infer(inputShape, build, opset)?.shape;
}

/** Runs `fn`, expecting a MetacompressError; returns it. */
function failure(fn: () => unknown): { code: string; details: Record<string, unknown>; message: string } {
  try {
    fn();
  } catch (e) {
    if (isMetacompressError(e)) return { code: e.code, details: e.details, message: e.message };
    throw e;
  }
  throw new Error('expected an error');
}

describe('inferShapes: whole models', () => {
  it('LeNet-5 with ONNX Flatten: every value, symbolic batch kept', () => {
    const graph = lenet5();
    const shapes = inferShapes(graph);
    const byOp = (op: string) =>
      graph.nodes.filter((n) => n.opType === op).map((n) => shapes.get(n.outputs[0])?.shape);
    expect(byOp('Conv')).toEqual([
      ['N', 6, 28, 28],
      ['N', 16, 10, 10],
    ]);
    expect(byOp('MaxPool')).toEqual([
      ['N', 6, 14, 14],
      ['N', 16, 5, 5],
    ]);
    expect(byOp('Flatten')).toEqual([['N', 400]]);
    expect(byOp('Gemm')).toEqual([
      ['N', 120],
      ['N', 84],
      ['N', 10],
    ]);
    expect(shapes.get('conv1.weight')).toMatchObject({ dataType: DataType.FLOAT, shape: [6, 1, 5, 5] });
  });

  it('LeNet-5 with the PyTorch Shape→Gather→Unsqueeze→Concat→Reshape flatten: the target is known up to the batch symbol', () => {
    const graph = lenet5({ flatten: 'pytorch' });
    const shapes = inferShapes(graph);
    const concat = graph.nodes.find((n) => n.opType === 'Concat')!;
    const reshape = graph.nodes.find((n) => n.opType === 'Reshape')!;
    const shape = graph.nodes.find((n) => n.opType === 'Shape')!;
    expect(shapes.get(shape.outputs[0])).toEqual({
      dataType: DataType.INT64,
      shape: [4],
      symbolic: ['N', 16, 5, 5],
    });
    expect(shapes.get(concat.outputs[0])).toEqual({
      dataType: DataType.INT64,
      shape: [2],
      symbolic: ['N', -1],
    });
    expect(shapes.get(reshape.outputs[0])?.shape).toEqual(['N', 400]);
    // with a concrete batch size the whole subgraph becomes constant
    const atFour = inferShapes(graph, { batchSize: 4 });
    expect(atFour.get(concat.outputs[0])?.value).toEqual([4, -1]);
    expect(atFour.get(reshape.outputs[0])?.shape).toEqual([4, 400]);
    expect(atFour.get(graph.outputs[0].name)?.shape).toEqual([4, 10]);
  });

  it('inputShapes replaces declared shapes; unknown names and bad dims are rejected', () => {
    const graph = lenet5();
    expect(inferShapes(graph, { inputShapes: { input: [2, 1, 28, 28] } }).get('conv1_out')?.shape).toEqual([
      2, 6, 28, 28,
    ]);
    // 32×32 images make the flatten 576 wide, which fc1 (400 inputs) rejects
    expect(
      failure(() => inferShapes(graph, { inputShapes: { input: [2, 1, 32, 32] } })).details,
    ).toMatchObject({ node: 'fc1', field: 'B.dims[1]' });
    expect(failure(() => inferShapes(graph, { inputShapes: { image: [1, 1, 28, 28] } }))).toMatchObject({
      code: 'MC_INVALID_ARGUMENT',
      details: { field: 'inputShapes.image' },
    });
    expect(failure(() => inferShapes(graph, { inputShapes: { input: [1, -3, 28, 28] } })).code).toBe(
      'MC_INVALID_ARGUMENT',
    );
    expect(failure(() => inferShapes(graph, { batchSize: 0 })).details.field).toBe('batchSize');
  });

  it('batchSize substitutes only a symbolic first dim', () => {
    const b = new GraphBuilder();
    b.input('a', ['batch', 3]);
    b.input('b', [5, 3]);
    b.input('c', [null, 2]);
    const shapes = inferShapes(b.build(), { batchSize: 7 });
    expect([shapes.get('a')?.shape, shapes.get('b')?.shape, shapes.get('c')?.shape]).toEqual([
      [7, 3],
      [5, 3],
      [7, 2],
    ]);
  });
});

describe('inferShapes: convolution and pooling', () => {
  it('Conv with pads, strides, dilations and groups', () => {
    // out = floor((H + pb + pe - ((k - 1) * d + 1)) / s) + 1
    expect(
      shapeOf([1, 4, 11, 9], (b, x) =>
        b.conv(x, {
          inChannels: 4,
          outChannels: 8,
          kernel: 3,
          group: 2,
          pads: [1, 0, 2, 1],
          dilations: [2, 2],
          strides: [2, 1],
        }),
      ),
    ).toEqual([
      1,
      8,
      Math.floor((11 + 1 + 2 - 5) / 2) + 1, // 5
      Math.floor((9 + 0 + 1 - 5) / 1) + 1, // 6
    ]);
  });

  it('auto_pad SAME_UPPER/SAME_LOWER give ceil(in / stride); VALID gives ceil((in - k_eff + 1) / stride)', () => {
    const conv = (autoPad: string, strides = [2, 3]) =>
      shapeOf([1, 3, 10, 10], (b, x) =>
        b.conv(x, { inChannels: 3, outChannels: 5, kernel: 3, strides, autoPad }),
      );
    expect(conv('SAME_UPPER')).toEqual([1, 5, 5, 4]);
    expect(conv('SAME_LOWER')).toEqual([1, 5, 5, 4]);
    expect(conv('VALID')).toEqual([1, 5, 4, 3]);
    // a symbolic spatial dim survives SAME with stride 1, and a 3x3 conv with pad 1
    expect(
      shapeOf([1, 3, 'H', 'W'], (b, x) =>
        b.conv(x, { inChannels: 3, outChannels: 5, kernel: 3, autoPad: 'SAME_UPPER' }),
      ),
    ).toEqual([1, 5, 'H', 'W']);
    expect(
      shapeOf([1, 3, 'H', 'W'], (b, x) =>
        b.conv(x, { inChannels: 3, outChannels: 5, kernel: 3, pads: [1, 1, 1, 1] }),
      ),
    ).toEqual([1, 5, 'H', 'W']);
    expect(
      shapeOf([1, 3, 'H', 'W'], (b, x) => b.conv(x, { inChannels: 3, outChannels: 5, kernel: 3 })),
    ).toEqual([1, 5, null, null]);
  });

  it('Conv 1-D and 3-D', () => {
    expect(
      shapeOf([2, 3, 20], (b, x) => b.conv(x, { inChannels: 3, outChannels: 4, kernel: [5], strides: [3] })),
    ).toEqual([2, 4, 6]);
    expect(
      shapeOf([1, 2, 4, 6, 8], (b, x) =>
        b.conv(x, { inChannels: 2, outChannels: 3, kernel: [1, 3, 3], pads: [0, 1, 1, 0, 1, 1] }),
      ),
    ).toEqual([1, 3, 4, 6, 8]);
  });

  it('ConvTranspose: out = s(in-1) + output_padding + k_eff - pads; output_shape wins; SAME gives in * s', () => {
    const ct = (attrs: Record<string, number[] | string | number>, w = [3, 2, 3, 3]) =>
      shapeOf([1, 3, 5, 6], (b, x) => b.op('ConvTranspose', [x, b.weight('w', w)], attrs));
    expect(ct({ strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] })).toEqual([
      1,
      2,
      2 * 4 + 1 + 3 - 2,
      2 * 5 + 0 + 3 - 2,
    ]);
    expect(ct({ strides: [3, 2], output_shape: [16, 12] })).toEqual([1, 2, 16, 12]);
    expect(ct({ strides: [2, 2], auto_pad: 'SAME_UPPER' })).toEqual([1, 2, 10, 12]);
    expect(ct({ group: 3 }, [3, 1, 3, 3])).toEqual([1, 3, 7, 8]);
  });

  it('MaxPool ceil_mode drops a window that would start in the right padding; Indices are int64', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 1, 5, 5]);
    const [y, idx] = b.node(
      'MaxPool',
      [x],
      { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 },
      { outputs: 2 },
    );
    const floor = b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1] });
    const shapes = inferShapes(b.build());
    // ceil((5 + 2 - 2) / 2) + 1 = 4, but window 4 would start at 6 ≥ 5 + 1: 3
    expect(shapes.get(y)?.shape).toEqual([1, 1, 3, 3]);
    expect(shapes.get(idx)).toEqual({ dataType: DataType.INT64, shape: [1, 1, 3, 3] });
    expect(shapes.get(floor)?.shape).toEqual([1, 1, 3, 3]);
    expect(
      shapeOf([1, 1, 6, 6], (bb, xx) =>
        bb.op('MaxPool', [xx], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
      ),
    ).toEqual([1, 1, 3, 3]);
    expect(
      shapeOf([1, 1, 6, 6], (bb, xx) => bb.op('MaxPool', [xx], { kernel_shape: [3, 3], strides: [2, 2] })),
    ).toEqual([1, 1, 2, 2]);
  });

  it('pool dilations, AveragePool, global pools', () => {
    expect(
      shapeOf([1, 2, 9, 9], (b, x) => b.op('MaxPool', [x], { kernel_shape: [3, 3], dilations: [2, 3] })),
    ).toEqual([1, 2, 5, 3]);
    expect(
      shapeOf([1, 2, 9, 9], (b, x) => b.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] })),
    ).toEqual([1, 2, 4, 4]);
    expect(shapeOf(['N', 2, 'H', 'W'], (b, x) => b.op('GlobalAveragePool', [x]))).toEqual(['N', 2, 1, 1]);
  });
});

describe('inferShapes: linear algebra and broadcasting', () => {
  it('Gemm with transA/transB', () => {
    expect(shapeOf([6, 4], (b, x) => b.op('Gemm', [x, b.weight('w', [3, 4])], { transB: 1 }))).toEqual([
      6, 3,
    ]);
    expect(
      shapeOf([6, 4], (b, x) => b.op('Gemm', [x, b.weight('w', [6, 5]), b.weight('c', [5])], { transA: 1 })),
    ).toEqual([4, 5]);
  });

  it('MatMul: batched, broadcast batch dims, 1-D on either side', () => {
    expect(shapeOf([2, 1, 3, 4], (b, x) => b.op('MatMul', [x, b.weight('w', [5, 4, 7])]))).toEqual([
      2, 5, 3, 7,
    ]);
    expect(shapeOf([4], (b, x) => b.op('MatMul', [x, b.weight('w', [2, 4, 7])]))).toEqual([2, 7]);
    expect(shapeOf(['N', 3, 4], (b, x) => b.op('MatMul', [x, b.weight('w', [4])]))).toEqual(['N', 3]);
    expect(shapeOf([4], (b, x) => b.op('MatMul', [x, b.weight('w', [4])]))).toEqual([]);
  });

  it('elementwise broadcasting, including symbols', () => {
    expect(shapeOf(['N', 3, 1, 5], (b, x) => b.op('Add', [x, b.weight('w', [4, 1])]))).toEqual([
      'N',
      3,
      4,
      5,
    ]);
    expect(shapeOf(['N', 3], (b, x) => b.op('Mul', [x, b.op('Relu', [x])]))).toEqual(['N', 3]);
    expect(shapeOf([1, 3], (b, x) => b.op('Div', [x, b.weight('w', [2, 1])]))).toEqual([2, 3]);
    expect(infer([2, 3], (b, x) => b.op('Less', [x, b.weight('w', [3])]))).toEqual({
      dataType: DataType.BOOL,
      shape: [2, 3],
    });
    expect(
      shapeOf([2, 3], (b, x) =>
        b.op('Where', [b.op('Greater', [x, b.weight('z', [1])]), x, b.weight('o', [2, 1])]),
      ),
    ).toEqual([2, 3]);
  });

  it('unary ops keep shape and type; Dropout mask type depends on opset', () => {
    for (const op of [
      'Relu',
      'Sigmoid',
      'Tanh',
      'HardSwish',
      'HardSigmoid',
      'Softmax',
      'Exp',
      'Sqrt',
      'Erf',
      'Softplus',
      'Gelu',
      'Identity',
    ]) {
      expect({ op, v: infer(['N', 7], (b, x) => b.op(op, [x])) }).toEqual({
        op,
        v: { dataType: DataType.FLOAT, shape: ['N', 7] },
      });
    }
    const mask = (opset: number) => {
      const b = new GraphBuilder({ opset });
      const x = b.input('x', [2, 3]);
      const [, m] = b.node('Dropout', [x], {}, { outputs: 2 });
      return inferShapes(b.build()).get(m);
    };
    expect(mask(7)).toEqual({ dataType: DataType.FLOAT, shape: [2, 3] });
    expect(mask(12)).toEqual({ dataType: DataType.BOOL, shape: [2, 3] });
  });

  it('BatchNormalization keeps the input shape', () => {
    expect(shapeOf(['N', 4, 3, 3], (b, x) => b.batchNorm(x, 4))).toEqual(['N', 4, 3, 3]);
  });
});

describe('inferShapes: layout ops', () => {
  it('Reshape with 0 (copy), -1 (inferred), allowzero, and symbols cancelling', () => {
    expect(shapeOf([2, 3, 4], (b, x) => b.reshape(x, [0, -1]))).toEqual([2, 12]);
    expect(shapeOf([2, 3, 4], (b, x) => b.reshape(x, [-1, 0, 2]))).toEqual([4, 3, 2]);
    expect(shapeOf(['N', 16, 5, 5], (b, x) => b.reshape(x, [-1, 400]))).toEqual(['N', 400]);
    expect(shapeOf(['N', 16, 5, 5], (b, x) => b.reshape(x, [0, -1]))).toEqual(['N', 400]);
    expect(shapeOf(['N', 16, 5, 5], (b, x) => b.reshape(x, [-1, 16, 25]))).toEqual(['N', 16, 25]);
    expect(shapeOf(['N', 6], (b, x) => b.reshape(x, [-1, 4]))).toEqual([null, 4]);
    expect(
      shapeOf([0, 3], (b, x) => b.op('Reshape', [x, b.int64('s', [3, 0])], { allowzero: 1 }), 14),
    ).toEqual([3, 0]);
    expect(
      infer([6], (b, x) => b.reshape(b.op('Shape', [b.op('Reshape', [x, b.int64('t', [2, 3])])]), [1, 2]))
        ?.value,
    ).toEqual([2, 3]);
  });

  it('Flatten with positive, zero and negative axes', () => {
    expect(shapeOf(['N', 16, 5, 5], (b, x) => b.flatten(x))).toEqual(['N', 400]);
    expect(shapeOf([2, 3, 4, 5], (b, x) => b.flatten(x, 0))).toEqual([1, 120]);
    expect(shapeOf([2, 3, 4, 5], (b, x) => b.flatten(x, -1))).toEqual([24, 5]);
    expect(shapeOf(['N', 3, 4], (b, x) => b.flatten(x, 2))).toEqual([null, 4]);
  });

  it('Transpose default and explicit perm; Concat with a negative axis', () => {
    expect(shapeOf([2, 3, 4], (b, x) => b.op('Transpose', [x]))).toEqual([4, 3, 2]);
    expect(shapeOf(['N', 3, 4], (b, x) => b.op('Transpose', [x], { perm: [0, 2, 1] }))).toEqual(['N', 4, 3]);
    expect(shapeOf(['N', 3, 4], (b, x) => b.op('Concat', [x, b.op('Relu', [x]), x], { axis: -2 }))).toEqual([
      'N',
      9,
      4,
    ]);
  });

  it('Split: sizes as input (opset 13), as attribute (opset 11), equal, and opset-18 num_outputs with a short last chunk', () => {
    const split = (
      opset: number,
      dim: number,
      outputs: number,
      attrs: Record<string, number | number[]>,
      sizes?: number[],
    ) => {
      const b = new GraphBuilder({ opset });
      const x = b.input('x', [2, dim]);
      const outs = b.node(
        'Split',
        sizes ? [x, b.int64('split', sizes)] : [x],
        { axis: -1, ...attrs },
        { outputs },
      );
      const shapes = inferShapes(b.build());
      return outs.map((o) => shapes.get(o)?.shape?.[1]);
    };
    expect(split(13, 10, 3, {}, [2, 3, 5])).toEqual([2, 3, 5]);
    expect(split(11, 10, 2, { split: [7, 3] })).toEqual([7, 3]);
    expect(split(13, 9, 3, {})).toEqual([3, 3, 3]);
    expect(split(18, 7, 3, { num_outputs: 3 })).toEqual([3, 3, 1]);
    expect(failure(() => split(13, 7, 3, {})).code).toBe('MC_SHAPE_MISMATCH');
    expect(failure(() => split(13, 10, 2, {}, [4, 5])).details.field).toBe('split');
  });

  it('Slice: inputs (opset 10+) or attributes (opset < 10), negative starts/ends/axes, negative steps, clamping', () => {
    const slice = (starts: number[], ends: (number | bigint)[], axes?: number[], steps?: number[]) =>
      shapeOf([10, 8], (b, x) => {
        const inputs = [x, b.int64('s', starts), b.int64('e', ends)];
        if (axes) inputs.push(b.int64('a', axes));
        if (steps) inputs.push(b.int64('p', steps));
        return b.op('Slice', inputs);
      });
    expect(slice([1], [-1], [0])).toEqual([8, 8]);
    expect(slice([-3, 0], [1000, 8])).toEqual([3, 8]);
    expect(slice([9], [0], [-2], [-1])).toEqual([9, 8]); // axis -2 = 0: indices 9..1
    expect(slice([-1], [-1000], [1], [-3])).toEqual([10, 3]); // 7, 4, 1
    expect(slice([0], [9223372036854775807n], [1], [2])).toEqual([10, 4]); // INT64_MAX
    expect(slice([-1], [-9223372036854775808n], [1], [-1])).toEqual([10, 8]); // INT64_MIN
    expect(slice([5], [2], [0])).toEqual([0, 8]);
    expect(shapeOf([10, 8], (b, x) => b.op('Slice', [x], { starts: [2], ends: [5], axes: [1] }), 9)).toEqual([
      10, 3,
    ]);
  });

  it('Squeeze/Unsqueeze: axes as attribute before opset 13, as input from 13, negative axes', () => {
    expect(shapeOf([1, 3, 1, 4], (b, x) => b.op('Squeeze', [x], { axes: [0, -2] }), 11)).toEqual([3, 4]);
    expect(shapeOf([1, 3, 1, 4], (b, x) => b.op('Squeeze', [x, b.int64('a', [2])]), 13)).toEqual([1, 3, 4]);
    expect(shapeOf([1, 3, 1, 4], (b, x) => b.op('Squeeze', [x]), 13)).toEqual([3, 4]);
    expect(shapeOf([3, 4], (b, x) => b.op('Unsqueeze', [x], { axes: [0, 3] }), 11)).toEqual([1, 3, 4, 1]);
    expect(shapeOf([3, 4], (b, x) => b.op('Unsqueeze', [x, b.int64('a', [-1, 1])]), 13)).toEqual([
      3, 1, 4, 1,
    ]);
    expect(
      failure(() => shapeOf([2, 3], (b, x) => b.op('Squeeze', [x, b.int64('a', [0])]))).details.field,
    ).toBe('axes');
  });

  it('Pad: pads attribute (opset 2), pads input (opset 11), axes input (opset 18)', () => {
    expect(shapeOf([1, 3, 4, 5], (b, x) => b.op('Pad', [x], { pads: [0, 0, 1, 2, 0, 0, 3, 4] }), 2)).toEqual([
      1, 3, 8, 11,
    ]);
    expect(
      shapeOf([1, 3, 4, 5], (b, x) => b.op('Pad', [x, b.int64('p', [0, 0, 1, 2, 0, 0, 3, 4])]), 11),
    ).toEqual([1, 3, 8, 11]);
    expect(
      shapeOf([1, 3, 4, 5], (b, x) => b.op('Pad', [x, b.int64('p', [1, 2]), '', b.int64('a', [-1])]), 18),
    ).toEqual([1, 3, 4, 8]);
  });

  it('Gather with negative indices (values), Expand, Tile', () => {
    const v = infer([2, 5, 7], (b, x) => b.op('Gather', [b.op('Shape', [x]), b.int64('i', [-1, 0])]));
    expect(v).toEqual({ dataType: DataType.INT64, shape: [2], value: [7, 2] });
    expect(
      shapeOf([2, 5, 7], (b, x) => b.op('Gather', [x, b.int64('i', [0, 1, 0, 1], [2, 2])], { axis: 1 })),
    ).toEqual([2, 2, 2, 7]);
    expect(shapeOf([3, 1], (b, x) => b.op('Expand', [x, b.int64('s', [2, 1, 4])]))).toEqual([2, 3, 4]);
    expect(shapeOf([3, 2], (b, x) => b.op('Tile', [x, b.int64('r', [2, 3])]))).toEqual([6, 6]);
    expect(
      failure(() => shapeOf([2, 5], (b, x) => b.op('Gather', [x, b.int64('i', [5])], { axis: 1 }))).details
        .field,
    ).toBe('input[1]');
  });

  it('Resize with constant scales or sizes (opsets 11+ and 10), Upsample with attribute or input scales', () => {
    expect(
      shapeOf(
        [1, 3, 4, 5],
        (b, x) => b.op('Resize', [x, '', b.initializer('s', DataType.FLOAT, [4], [1, 1, 2, 1.5])]),
        13,
      ),
    ).toEqual([1, 3, 8, 7]);
    expect(
      shapeOf([1, 3, 4, 5], (b, x) => b.op('Resize', [x, '', '', b.int64('z', [1, 3, 9, 2])]), 13),
    ).toEqual([1, 3, 9, 2]);
    expect(
      shapeOf(
        [1, 3, 4, 5],
        (b, x) => b.op('Resize', [x, b.initializer('s', DataType.FLOAT, [4], [1, 1, 0.5, 2])]),
        10,
      ),
    ).toEqual([1, 3, 2, 10]);
    expect(
      shapeOf(
        [1, 3, 4, 5],
        (b, x) => b.op('Upsample', [x], { scales: { type: 'floats', value: [1, 1, 2, 2] } }),
        7,
      ),
    ).toEqual([1, 3, 8, 10]);
    expect(
      shapeOf(
        [1, 3, 4, 5],
        (b, x) => b.op('Upsample', [x, b.initializer('s', DataType.FLOAT, [4], [1, 1, 3, 1])]),
        9,
      ),
    ).toEqual([1, 3, 12, 5]);
  });
});

describe('inferShapes: constants and values', () => {
  it('Constant in every value_* form', () => {
    const forms: [Record<string, unknown>, ValueShape][] = [
      [
        { value: createTensor('t', DataType.INT32, [2, 2], [1, 2, 3, 4]) },
        { dataType: DataType.INT32, shape: [2, 2], value: [1, 2, 3, 4] },
      ],
      [{ value_float: 0.5 }, { dataType: DataType.FLOAT, shape: [], value: [0.5] }],
      [{ value_floats: [0.5, 1.5] }, { dataType: DataType.FLOAT, shape: [2], value: [0.5, 1.5] }],
      [{ value_int: 3 }, { dataType: DataType.INT64, shape: [], value: [3] }],
      [{ value_ints: [3, -1] }, { dataType: DataType.INT64, shape: [2], value: [3, -1] }],
      [{ value_string: 'a' }, { dataType: DataType.STRING, shape: [] }],
      [{ value_strings: ['a', 'b', 'c'] }, { dataType: DataType.STRING, shape: [3] }],
    ];
    for (const [attrs, expected] of forms) {
      const b = new GraphBuilder();
      const key = Object.keys(attrs)[0];
      const raw = attrs[key];
      const attribute =
        key === 'value_float'
          ? { type: 'float', value: raw }
          : key === 'value_floats'
            ? { type: 'floats', value: raw }
            : key === 'value_strings'
              ? { type: 'strings', value: raw }
              : raw;
      const c = b.op('Constant', [], { [key]: attribute as never });
      expect({ key, v: inferShapes(b.build()).get(c) }).toEqual({ key, v: expected });
    }
  });

  it('Shape with start/end (opset 15), Size, Range, ConstantOfShape, Cast', () => {
    expect(infer([2, 3, 4, 5], (b, x) => b.op('Shape', [x], { start: 1, end: -1 }), 15)).toEqual({
      dataType: DataType.INT64,
      shape: [2],
      value: [3, 4],
    });
    expect(infer([2, 3, 4, 5], (b, x) => b.op('Shape', [x], { start: -10 }), 15)?.value).toEqual([
      2, 3, 4, 5,
    ]);
    expect(infer(['N', 3], (b, x) => b.op('Shape', [x], { start: 1 }), 15)?.value).toEqual([3]);
    expect(infer([2, 3], (b, x) => b.op('Size', [x]))).toEqual({
      dataType: DataType.INT64,
      shape: [],
      value: [6],
    });
    expect(
      infer(undefined, (b) =>
        b.op('Range', [b.int64('a', [1], []), b.int64('l', [10], []), b.int64('d', [3], [])]),
      ),
    ).toEqual({
      dataType: DataType.INT64,
      shape: [3],
      value: [1, 4, 7],
    });
    expect(
      infer(undefined, (b) =>
        b.op('ConstantOfShape', [b.int64('s', [2, 2])], {
          value: createTensor('v', DataType.INT32, [1], [7]),
        }),
      ),
    ).toEqual({ dataType: DataType.INT32, shape: [2, 2], value: [7, 7, 7, 7] });
    expect(
      infer(undefined, (b) =>
        b.op('Cast', [b.initializer('f', DataType.FLOAT, [3], [-1.7, 2.5, 0])], { to: DataType.INT32 }),
      )?.value,
    ).toEqual([-1, 2, 0]);
    expect(
      infer(undefined, (b) =>
        b.op('Cast', [b.initializer('f', DataType.FLOAT, [3], [-1.7, 0, 3])], { to: DataType.BOOL }),
      )?.value,
    ).toEqual([1, 0, 1]);
  });

  it('arithmetic on constants, rounded to the element type; integer division truncates', () => {
    const b = new GraphBuilder();
    const i = b.int64('i', [7, -7]);
    const f = b.initializer('f', DataType.FLOAT, [2], [1, 3]);
    const q = b.op('Div', [i, b.int64('two', [2], [])]);
    const r = b.op('Div', [f, b.initializer('three', DataType.FLOAT, [], [3])]);
    const m = b.op('Mul', [b.op('Sub', [i, b.int64('one', [1], [])]), b.int64('col', [1, 2], [2, 1])]);
    const shapes = inferShapes(b.build());
    expect(shapes.get(q)?.value).toEqual([3, -3]);
    expect(shapes.get(r)?.value).toEqual([Math.fround(1 / 3), 1]);
    expect(shapes.get(m)).toEqual({ dataType: DataType.INT64, shape: [2, 2], value: [6, -8, 12, -16] });
  });

  it('initializers over maxValueElements carry no contents', () => {
    const b = new GraphBuilder();
    const big = b.weight('big', [65]);
    const small = b.weight('small', [64]);
    const shapes = inferShapes(b.build());
    expect(shapes.get(big)?.value).toBeUndefined();
    expect(shapes.get(small)?.value).toHaveLength(64);
    expect(inferShapes(b.build(), { maxValueElements: 100 }).get(big)?.value).toHaveLength(65);
  });

  it('an initializer that is also a graph input is a constant only before IR version 4', () => {
    const build = (irVersion: number) => {
      const b = new GraphBuilder({ irVersion });
      const s = b.int64('s', [2, 3]);
      b.input(s, [2], DataType.INT64);
      const x = b.input('x', [6]);
      const out = b.op('Reshape', [x, s]);
      return inferShapes(b.build()).get(out)?.shape;
    };
    expect(build(3)).toEqual([2, 3]);
    expect(build(7)).toEqual([null, null]);
  });
});

describe('inferShapes: quantization and opset differences', () => {
  it('QuantizeLinear takes the zero point type (uint8 without one, output_dtype at opset 21); DequantizeLinear gives float', () => {
    const q = (opset: number, zp?: number, attrs: Record<string, number> = {}) =>
      infer(
        [2, 3],
        (b, x) =>
          b.op(
            'QuantizeLinear',
            zp === undefined
              ? [x, b.weight('s', [])]
              : [x, b.weight('s', []), b.initializer('z', zp, [], [0])],
            attrs,
          ),
        opset,
      );
    expect(q(13, DataType.INT8)?.dataType).toBe(DataType.INT8);
    expect(q(13)?.dataType).toBe(DataType.UINT8);
    expect(q(21, undefined, { output_dtype: DataType.INT4 })?.dataType).toBe(DataType.INT4);
    expect(
      infer([2, 3], (b, x) =>
        b.op('DequantizeLinear', [b.op('QuantizeLinear', [x, b.weight('s', [])]), b.weight('t', [])]),
      ),
    ).toEqual({
      dataType: DataType.FLOAT,
      shape: [2, 3],
    });
  });

  it('Clip bounds: attributes before opset 11, inputs after (both compute constant values)', () => {
    expect(
      infer(undefined, (b) => b.op('Clip', [b.weight('v', [3])], { min: -0.05, max: 0.05 }), 6)?.value?.every(
        (v) => Math.abs(v) <= 0.05 + 1e-9,
      ),
    ).toBe(true);
    const c = infer(
      undefined,
      (b) =>
        b.op('Clip', [
          b.initializer('v', DataType.FLOAT, [3], [-2, 0.5, 9]),
          b.initializer('lo', DataType.FLOAT, [], [0]),
          b.initializer('hi', DataType.FLOAT, [], [6]),
        ]),
      13,
    );
    expect(c?.value).toEqual([0, 0.5, 6]);
  });

  it('ReduceMean: axes attribute up to opset 17, input from opset 18; keepdims; negative axes', () => {
    expect(shapeOf([2, 3, 4], (b, x) => b.op('ReduceMean', [x], { axes: [-1], keepdims: 0 }), 13)).toEqual([
      2, 3,
    ]);
    expect(shapeOf([2, 3, 4], (b, x) => b.op('ReduceMean', [x, b.int64('a', [1])]), 18)).toEqual([2, 1, 4]);
    expect(shapeOf([2, 3, 4], (b, x) => b.op('ReduceMean', [x]), 18)).toEqual([1, 1, 1]);
    expect(shapeOf([2, 3, 4], (b, x) => b.op('ReduceMean', [x], { noop_with_empty_axes: 1 }), 18)).toEqual([
      2, 3, 4,
    ]);
    expect(
      infer(
        undefined,
        (b) => b.op('ReduceMean', [b.initializer('v', DataType.FLOAT, [2, 2], [1, 2, 3, 5])], { axes: [1] }),
        13,
      )?.value,
    ).toEqual([1.5, 4]);
  });
});

describe('inferShapes: unknown ops', () => {
  function withCustom(declare: boolean): Graph {
    const b = new GraphBuilder();
    const x = b.input('x', ['N', 4]);
    const y = b.op('FancyOp', [x], {}, { domain: 'com.example' });
    if (declare) b.declare(y, ['N', 8]);
    b.output(b.op('Relu', [y]));
    return b.build();
  }

  it('take the declared value_info shape, or stay unknown — never an error', () => {
    expect(inferShapes(withCustom(true)).get('relu_out')).toEqual({
      dataType: DataType.FLOAT,
      shape: ['N', 8],
    });
    const shapes = inferShapes(withCustom(false));
    expect(shapes.get('fancyop_out')).toBeUndefined();
    expect(shapes.get('relu_out')?.dataType).toBe(DataType.FLOAT); // from the declared graph output
  });

  it('throw MC_UNSUPPORTED_OP in strict mode, naming node, op type and file', () => {
    const err = failure(() => inferShapes(withCustom(true), { strict: true, file: 'm.onnx' }));
    expect(err).toMatchObject({
      code: 'MC_UNSUPPORTED_OP',
      details: { node: 'fancyop', opType: 'FancyOp', file: 'm.onnx' },
    });
  });

  it('declared dims fill only what inference left unknown', () => {
    const b = new GraphBuilder();
    const x = b.input('x', ['N', 6]);
    const y = b.reshape(x, [-1, 3]); // [null, 3]
    b.declare(y, [99, 7]);
    expect(inferShapes(b.build()).get(y)?.shape).toEqual([99, 3]);
    expect(inferShapes(b.build(), { useValueInfo: false }).get(y)?.shape).toEqual([null, 3]);
  });
});

describe('inferShapes: mismatches are MC_SHAPE_MISMATCH naming node, op type and field', () => {
  it('a Conv whose weight disagrees with the input channels (plain and grouped)', () => {
    const err = failure(() =>
      shapeOf([1, 3, 8, 8], (b, x) => b.conv(x, { inChannels: 4, outChannels: 6, kernel: 3, name: 'stem' })),
    );
    expect(err).toMatchObject({
      code: 'MC_SHAPE_MISMATCH',
      details: { node: 'stem', opType: 'Conv', field: 'W.dims[1]' },
    });
    expect(err.message).toMatch(/3 channels/);
    const grouped = failure(() =>
      shapeOf([1, 8, 8, 8], (b, x) => b.op('Conv', [x, b.weight('w', [8, 2, 3, 3])], { group: 2 })),
    );
    expect(grouped.details.field).toBe('W.dims[1]');
    expect(
      failure(() => shapeOf([1, 3, 8, 8], (b, x) => b.op('Conv', [x, b.weight('w', [6, 3, 3])]))).details
        .field,
    ).toBe('input[1]');
    expect(
      failure(() =>
        shapeOf([1, 3, 8, 8], (b, x) => b.op('Conv', [x, b.weight('w', [6, 3, 3, 3]), b.weight('bb', [5])])),
      ).details.field,
    ).toBe('B.dims[0]');
  });

  it('Gemm and MatMul inner-dimension mismatches', () => {
    const gemm = failure(() =>
      shapeOf([2, 5], (b, x) => b.gemm(x, { inFeatures: 4, outFeatures: 3, name: 'fc' })),
    );
    expect(gemm).toMatchObject({
      code: 'MC_SHAPE_MISMATCH',
      details: { node: 'fc', opType: 'Gemm', field: 'B.dims[1]' },
    });
    const mm = failure(() =>
      shapeOf([2, 5], (b, x) => b.op('MatMul', [x, b.weight('w', [4, 3])], {}, { name: 'mm' })),
    );
    expect(mm).toMatchObject({ details: { node: 'mm', opType: 'MatMul', field: 'B.dims[0]' } });
  });

  it('BatchNormalization parameter of the wrong length', () => {
    const err = failure(() =>
      shapeOf([1, 4, 2, 2], (b, x) =>
        b.op(
          'BatchNormalization',
          [x, b.weight('s', [4]), b.weight('bb', [4]), b.weight('m', [3]), b.weight('v', [4])],
          {},
          { name: 'bn1' },
        ),
      ),
    );
    expect(err).toMatchObject({
      code: 'MC_SHAPE_MISMATCH',
      details: { node: 'bn1', opType: 'BatchNormalization', field: 'input_mean.dims[0]' },
    });
  });

  it('Concat of different ranks or different non-axis dims', () => {
    expect(
      failure(() => shapeOf([2, 3], (b, x) => b.op('Concat', [x, b.weight('w', [2, 3, 1])], { axis: 0 })))
        .details.field,
    ).toBe('input[1]');
    expect(
      failure(() => shapeOf([2, 3], (b, x) => b.op('Concat', [x, b.weight('w', [2, 4])], { axis: 0 })))
        .details.field,
    ).toBe('input[1].dims[1]');
  });

  it('Reshape to an impossible size, or with two -1', () => {
    expect(failure(() => shapeOf([2, 3, 4], (b, x) => b.reshape(x, [5, -1]))).details).toMatchObject({
      opType: 'Reshape',
      field: 'input[1]',
    });
    expect(failure(() => shapeOf([2, 3, 4], (b, x) => b.reshape(x, [5, 5]))).code).toBe('MC_SHAPE_MISMATCH');
    expect(failure(() => shapeOf([2, 3, 4], (b, x) => b.reshape(x, [-1, -1]))).code).toBe(
      'MC_SHAPE_MISMATCH',
    );
    expect(failure(() => shapeOf(['N', 3, 4], (b, x) => b.reshape(x, [0, 5]))).code).toBe(
      'MC_SHAPE_MISMATCH',
    );
  });

  it('incompatible broadcasting', () => {
    expect(
      failure(() => shapeOf([2, 3], (b, x) => b.op('Add', [x, b.weight('w', [4])]))).details,
    ).toMatchObject({ opType: 'Add', field: 'input[1]' });
  });

  it('the file is named when given', () => {
    const graph = lenet5();
    const broken: Graph = {
      ...graph,
      initializers: graph.initializers.map((t) =>
        t.name === 'conv2.weight'
          ? createTensor(t.name, t.dataType, [16, 5, 5, 5], new Float32Array(2000))
          : t,
      ),
    };
    const err = failure(() => inferShapes(broken, { file: 'lenet.onnx' }));
    expect(err.details).toMatchObject({ file: 'lenet.onnx', node: 'conv2', field: 'W.dims[1]' });
    expect(err.message).toContain("file 'lenet.onnx'");
  });
});
