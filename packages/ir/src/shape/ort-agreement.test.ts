import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import type { Graph } from '../graph';
import { createTensor } from '../tensor';
import { inferShapes } from './infer-shapes';
import { GraphBuilder } from './test-builders';
import { ramp, runOrt } from './test-ort';

/** Builds a one-input graph, infers shapes and checks every output's dims against onnxruntime-web. */
async function agree(
  inputShape: number[],
  build: (b: GraphBuilder, x: string) => string[],
  opset = 13,
): Promise<Graph> {
  const b = new GraphBuilder({ opset, seed: 3 });
  const x = b.input('x', inputShape);
  const outs = build(b, x);
  for (const o of outs) b.output(o);
  const graph = b.build();
  const shapes = inferShapes(graph);
  const n = inputShape.reduce((a, c) => a * c, 1);
  const result = await runOrt(graph, { x: { dims: inputShape, data: ramp(n) } });
  for (const o of outs) {
    expect({ output: o, shape: shapes.get(o)?.shape }).toEqual({ output: o, shape: result[o].dims });
  }
  return graph;
}

describe('inferShapes agrees with onnxruntime-web', () => {
  it('Conv: auto_pad SAME_UPPER / SAME_LOWER / VALID with strides, dilations, groups', async () => {
    await agree([1, 4, 11, 9], (b, x) => [
      b.conv(x, { inChannels: 4, outChannels: 6, kernel: [3, 2], strides: [2, 3], autoPad: 'SAME_UPPER' }),
      b.conv(x, { inChannels: 4, outChannels: 6, kernel: [4, 3], strides: [3, 2], autoPad: 'SAME_LOWER' }),
      b.conv(x, {
        inChannels: 4,
        outChannels: 2,
        kernel: 3,
        strides: [2, 2],
        dilations: [2, 1],
        autoPad: 'VALID',
      }),
      b.conv(x, {
        inChannels: 4,
        outChannels: 8,
        kernel: 3,
        group: 2,
        pads: [1, 0, 2, 1],
        dilations: [2, 2],
      }),
      b.conv(x, { inChannels: 4, outChannels: 4, kernel: 3, group: 4, pads: [1, 1, 1, 1], strides: [2, 2] }),
    ]);
  });

  it('ConvTranspose: strides, pads, output_padding, output_shape, SAME_UPPER', async () => {
    await agree([1, 3, 5, 6], (b, x) => {
      const w = b.weight('wt', [3, 2, 3, 3]);
      return [
        b.op('ConvTranspose', [x, w], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] }),
        b.op('ConvTranspose', [x, w], { strides: [3, 2], output_shape: [16, 12] }),
        b.op('ConvTranspose', [x, w], { strides: [2, 2], auto_pad: 'SAME_UPPER' }),
        b.op('ConvTranspose', [x, b.weight('wg', [3, 1, 2, 3]), b.weight('bt', [3])], {
          group: 3,
          dilations: [2, 1],
        }),
      ];
    });
  });

  it("MaxPool / AveragePool: ceil_mode (including a window starting in the padding, where ONNX's reference inference disagrees with the kernel), dilations, SAME", async () => {
    await agree([1, 2, 5, 7], (b, x) => [
      b.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }),
      b.op('AveragePool', [x], { kernel_shape: [3, 2], strides: [2, 3], ceil_mode: 1 }),
      b.op('MaxPool', [x], { kernel_shape: [2, 2], dilations: [2, 2], strides: [1, 2] }),
      b.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
      b.op('AveragePool', [x], { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'VALID' }),
      b.op('GlobalAveragePool', [x]),
    ]);
  });

  it('layout ops: Reshape 0/-1, Flatten negative axis, Transpose, Slice with negative steps, Split, Pad, Squeeze/Unsqueeze', async () => {
    await agree([2, 3, 4, 5], (b, x) => {
      const parts = b.node('Split', [x, b.int64('split', [1, 4])], { axis: -1 }, { outputs: 2 });
      return [
        b.reshape(x, [0, -1, 10]),
        b.flatten(x, -2),
        b.op('Transpose', [x], { perm: [3, 1, 0, 2] }),
        b.op('Slice', [
          x,
          b.int64('st', [-1, 1]),
          b.int64('en', [-1000, 100]),
          b.int64('ax', [3, -3]),
          b.int64('sp', [-2, 2]),
        ]),
        ...parts,
        b.op('Pad', [x, b.int64('pads', [0, 1, 0, 2, 0, 0, 1, 3])]),
        b.op('Unsqueeze', [
          b.op('Squeeze', [b.op('ReduceMean', [x], { axes: [1] })], {}),
          b.int64('ua', [-1, 0]),
        ]),
      ];
    });
  });

  it('opset 18: Split num_outputs with a smaller last chunk, ReduceMean axes as input, Pad axes, Resize sizes', async () => {
    await agree(
      [1, 2, 7, 5],
      (b, x) => [
        ...b.node('Split', [x], { axis: 2, num_outputs: 3 }, { outputs: 3 }),
        b.op('ReduceMean', [x, b.int64('rax', [2, -1])], { keepdims: 0 }),
        b.op('Pad', [x, b.int64('p', [1, 2]), '', b.int64('pax', [-1])]),
        b.op('Resize', [x, '', '', b.int64('sizes', [1, 2, 9, 4])], { mode: 'nearest' }),
      ],
      18,
    );
  });

  it('Resize with scales and Concat/Gather/MatMul broadcasting', async () => {
    await agree([2, 3, 4, 5], (b, x) => {
      const scales = b.initializer('scales', DataType.FLOAT, [4], [1, 1, 1.5, 0.6]);
      const w = b.weight('mm', [5, 7]);
      const idx = b.initializer('gi', DataType.INT64, [2, 2], [0, -1, 1, 2]);
      return [
        b.op('Resize', [x, '', scales], { mode: 'nearest' }),
        b.op('Concat', [x, b.op('Relu', [x])], { axis: -3 }),
        b.op('Gather', [x, idx], { axis: 2 }),
        b.op('MatMul', [x, w]),
        b.op('MatMul', [b.weight('mv', [4]), x]),
        b.op('Add', [x, b.weight('bias', [4, 1])]),
      ];
    });
  });

  it('Gemm with transA / transB and a broadcast C', async () => {
    await agree([6, 4], (b, x) => [
      b.op('Gemm', [x, b.weight('g1', [3, 4]), b.weight('c1', [3])], { transB: 1 }),
      b.op('Gemm', [x, b.weight('g2', [6, 5]), b.weight('c2', [4, 1])], { transA: 1 }),
    ]);
  });

  it('a Constant-built shape subgraph yields the Reshape target onnxruntime uses', async () => {
    const graph = await agree(
      [2, 3, 4],
      (b, x) => {
        const shape = b.op('Shape', [x], { start: 1 });
        const prod = b.op('ReduceProd', [shape], { keepdims: 1 });
        const target = b.op(
          'Concat',
          [b.op('Constant', [], { value: createTensor('two', DataType.INT64, [1], [2]) }), prod],
          { axis: 0 },
        );
        return [b.op('Reshape', [x, target])];
      },
      15,
    );
    const shapes = inferShapes(graph);
    const concat = graph.nodes.find((n) => n.opType === 'Concat')!;
    expect(shapes.get(concat.outputs[0])?.value).toEqual([2, 12]);
  });
});
