// Every op handler against onnxruntime-web on small graphs. Most cases put a Conv in front so
// that the op sees a channels-last activation and has to honour NCHW semantics through it.
import { describe, expect, it } from 'vitest';
import { DataType, createTensor, type Graph, type Node, type Tensor } from '@metacompress/ir';
import { a, compareWithOrt, feed, graphOf, int64, node, weight } from './executor-helpers';

type Case = { name: string; graph: Graph; feeds?: Record<string, ReturnType<typeof feed>>; tol?: number };

const X = [2, 3, 7, 7];
/** x [2,3,7,7] → Conv 3→4, 3×3, pad 1 → 'c', then `nodes` (ending in 'y'). */
function afterConv(nodes: Node[], initializers: Tensor[] = [], opset = 13, outputs = ['y']): Graph {
  return graphOf({
    inputs: { x: ['N', 3, 7, 7] },
    outputs,
    opset,
    nodes: [node('Conv', ['x', 'cw', 'cb'], ['c'], { pads: a.ints([1, 1, 1, 1]) }), ...nodes],
    initializers: [weight('cw', [4, 3, 3, 3], 1), weight('cb', [4], 2), ...initializers],
  });
}

/** A single node on a feed `x` of the given dims. */
function single(
  op: string,
  dims: number[],
  attrs: Record<string, ReturnType<typeof a.int>> = {},
  extra: { inputs?: string[]; initializers?: Tensor[]; opset?: number } = {},
): Graph {
  return graphOf({
    inputs: { x: dims },
    outputs: ['y'],
    opset: extra.opset,
    nodes: [node(op, ['x', ...(extra.inputs ?? [])], ['y'], attrs)],
    initializers: extra.initializers ?? [],
  });
}

const conv = (attrs: Record<string, ReturnType<typeof a.int>>, w: number[], bias = true, xDims = X): Graph =>
  graphOf({
    inputs: { x: xDims },
    outputs: ['y'],
    nodes: [node('Conv', ['x', 'w', ...(bias ? ['b'] : [])], ['y'], attrs)],
    initializers: [weight('w', w, 3), ...(bias ? [weight('b', [w[0]!], 4)] : [])],
  });

const convT = (
  attrs: Record<string, ReturnType<typeof a.int>>,
  w: number[],
  xDims = [2, 4, 5, 5],
  bias = true,
): Graph =>
  graphOf({
    inputs: { x: xDims },
    outputs: ['y'],
    nodes: [node('ConvTranspose', ['x', 'w', ...(bias ? ['b'] : [])], ['y'], attrs)],
    initializers: [
      weight('w', w, 5),
      ...(bias ? [weight('b', [w[1]! * ((attrs.group?.value as number) ?? 1)], 6)] : []),
    ],
  });

const convCases: Case[] = [
  { name: 'Conv pads 1', graph: conv({ pads: a.ints([1, 1, 1, 1]) }, [4, 3, 3, 3]) },
  {
    name: 'Conv asymmetric pads, stride 2',
    graph: conv({ pads: a.ints([0, 1, 2, 1]), strides: a.ints([2, 2]) }, [5, 3, 3, 3]),
  },
  {
    name: 'Conv dilation 2',
    graph: conv({ dilations: a.ints([2, 2]), pads: a.ints([2, 2, 2, 2]) }, [4, 3, 3, 3]),
  },
  {
    name: 'Conv dilation 2 and stride 2',
    graph: conv(
      { dilations: a.ints([2, 2]), strides: a.ints([2, 2]), pads: a.ints([1, 1, 1, 1]) },
      [4, 3, 3, 3],
    ),
  },
  {
    name: 'Conv rectangular kernel and strides',
    graph: conv({ strides: a.ints([1, 2]), pads: a.ints([1, 0, 1, 0]) }, [4, 3, 3, 2]),
  },
  { name: 'Conv group 2', graph: conv({ group: a.int(2) }, [6, 2, 3, 3], true, [2, 4, 7, 7]) },
  {
    name: 'Conv depthwise',
    graph: conv({ group: a.int(4), pads: a.ints([1, 1, 1, 1]) }, [4, 1, 3, 3], true, [2, 4, 7, 7]),
  },
  {
    name: 'Conv depthwise, multiplier 2, stride 2',
    graph: conv(
      { group: a.int(4), strides: a.ints([2, 2]), pads: a.ints([1, 1, 1, 1]) },
      [8, 1, 3, 3],
      true,
      [2, 4, 7, 7],
    ),
  },
  {
    name: 'Conv depthwise dilated',
    graph: conv({ group: a.int(4), dilations: a.ints([2, 2]) }, [4, 1, 3, 3], false, [2, 4, 7, 7]),
  },
  {
    name: 'Conv SAME_UPPER stride 2',
    graph: conv({ auto_pad: a.str('SAME_UPPER'), strides: a.ints([2, 2]) }, [4, 3, 4, 4]),
  },
  {
    name: 'Conv SAME_LOWER stride 2',
    graph: conv({ auto_pad: a.str('SAME_LOWER'), strides: a.ints([2, 2]) }, [4, 3, 4, 4]),
  },
  { name: 'Conv VALID, no bias', graph: conv({ auto_pad: a.str('VALID') }, [4, 3, 3, 3], false) },
  { name: 'Conv 1x1', graph: conv({}, [8, 3, 1, 1]) },
  {
    name: 'Conv 1-D',
    graph: conv({ pads: a.ints([1, 2]), strides: a.ints([2]) }, [4, 3, 3], true, [2, 3, 11]),
  },
  {
    name: 'Conv 1-D depthwise',
    graph: conv({ group: a.int(3), pads: a.ints([1, 1]) }, [3, 1, 3], true, [2, 3, 9]),
  },
  {
    name: 'ConvTranspose stride 2, pads 1, output_padding 1',
    graph: convT(
      { strides: a.ints([2, 2]), pads: a.ints([1, 1, 1, 1]), output_padding: a.ints([1, 1]) },
      [4, 3, 3, 3],
    ),
  },
  { name: 'ConvTranspose group 2', graph: convT({ group: a.int(2), strides: a.ints([2, 2]) }, [4, 2, 3, 3]) },
  { name: 'ConvTranspose dilation 2', graph: convT({ dilations: a.ints([2, 2]) }, [4, 3, 3, 3]) },
  {
    name: 'ConvTranspose output_shape',
    graph: convT({ strides: a.ints([2, 2]), output_shape: a.ints([10, 10]) }, [4, 3, 3, 3]),
  },
  {
    name: 'ConvTranspose SAME_UPPER',
    graph: convT({ strides: a.ints([2, 2]), auto_pad: a.str('SAME_UPPER') }, [4, 3, 4, 4]),
  },
  {
    name: 'ConvTranspose asymmetric pads, no bias',
    graph: convT({ strides: a.ints([2, 1]), pads: a.ints([0, 1, 2, 0]) }, [4, 3, 3, 3], [2, 4, 5, 5], false),
  },
  {
    name: 'ConvTranspose 1-D',
    graph: convT({ strides: a.ints([3]), pads: a.ints([1, 0]) }, [4, 2, 4], [2, 4, 6]),
  },
];

const pool = (op: string, attrs: Record<string, ReturnType<typeof a.int>>, dims = [2, 3, 7, 7]) =>
  single(op, dims, attrs);
const poolCases: Case[] = [
  { name: 'MaxPool 2×2', graph: pool('MaxPool', { kernel_shape: a.ints([2, 2]), strides: a.ints([2, 2]) }) },
  {
    name: 'MaxPool 3×3 stride 2 pads 1',
    graph: pool('MaxPool', {
      kernel_shape: a.ints([3, 3]),
      strides: a.ints([2, 2]),
      pads: a.ints([1, 1, 1, 1]),
    }),
  },
  {
    name: 'MaxPool ceil_mode',
    graph: pool('MaxPool', { kernel_shape: a.ints([2, 2]), strides: a.ints([2, 2]), ceil_mode: a.int(1) }),
  },
  {
    name: 'MaxPool ceil_mode with pads (last window dropped)',
    graph: pool(
      'MaxPool',
      {
        kernel_shape: a.ints([3, 3]),
        strides: a.ints([2, 2]),
        pads: a.ints([1, 1, 1, 1]),
        ceil_mode: a.int(1),
      },
      [2, 3, 6, 6],
    ),
  },
  {
    name: 'MaxPool SAME_UPPER',
    graph: pool('MaxPool', {
      kernel_shape: a.ints([3, 3]),
      strides: a.ints([2, 2]),
      auto_pad: a.str('SAME_UPPER'),
    }),
  },
  {
    name: 'MaxPool 1-D',
    graph: pool(
      'MaxPool',
      { kernel_shape: a.ints([3]), strides: a.ints([2]), pads: a.ints([1, 1]) },
      [2, 3, 9],
    ),
  },
  {
    name: 'AveragePool pads, exclude pad',
    graph: pool('AveragePool', {
      kernel_shape: a.ints([3, 3]),
      strides: a.ints([2, 2]),
      pads: a.ints([1, 1, 1, 1]),
    }),
  },
  {
    name: 'AveragePool pads, count_include_pad',
    graph: pool('AveragePool', {
      kernel_shape: a.ints([3, 3]),
      strides: a.ints([2, 2]),
      pads: a.ints([1, 1, 1, 1]),
      count_include_pad: a.int(1),
    }),
  },
  {
    name: 'AveragePool ceil_mode, count_include_pad',
    graph: pool(
      'AveragePool',
      {
        kernel_shape: a.ints([3, 3]),
        strides: a.ints([2, 2]),
        pads: a.ints([1, 0, 1, 0]),
        ceil_mode: a.int(1),
        count_include_pad: a.int(1),
      },
      [2, 3, 8, 8],
    ),
  },
  {
    name: 'AveragePool ceil_mode, exclude pad',
    graph: pool('AveragePool', {
      kernel_shape: a.ints([2, 2]),
      strides: a.ints([2, 2]),
      ceil_mode: a.int(1),
    }),
  },
  {
    name: 'AveragePool SAME_LOWER',
    graph: pool('AveragePool', { kernel_shape: a.ints([2, 2]), auto_pad: a.str('SAME_LOWER') }),
  },
  {
    name: 'AveragePool 1-D',
    graph: pool('AveragePool', { kernel_shape: a.ints([2]), strides: a.ints([2]) }, [2, 3, 9]),
  },
  { name: 'GlobalAveragePool', graph: single('GlobalAveragePool', [2, 3, 5, 6]) },
  { name: 'GlobalMaxPool', graph: single('GlobalMaxPool', [2, 3, 5, 6]) },
  {
    name: 'LRN size 3',
    graph: single('LRN', [2, 6, 4, 4], {
      size: a.int(3),
      alpha: a.float(0.01),
      beta: a.float(0.75),
      bias: a.float(1.5),
    }),
  },
];

const scalar = (name: string, v: number) => createTensor(name, DataType.FLOAT, [], [v]);
const elementCases: Case[] = [
  ...['Relu', 'Sigmoid', 'Tanh', 'Softplus', 'Erf', 'Abs', 'Neg', 'Exp', 'Elu', 'Softsign'].map((op) => ({
    name: `${op} after Conv`,
    graph: afterConv([node(op, ['c'], ['y'])]),
  })),
  { name: 'HardSwish (opset 14) after Conv', graph: afterConv([node('HardSwish', ['c'], ['y'])], [], 14) },
  {
    name: 'LeakyRelu alpha 0.2',
    graph: afterConv([node('LeakyRelu', ['c'], ['y'], { alpha: a.float(0.2) })]),
  },
  {
    name: 'HardSigmoid alpha/beta',
    graph: afterConv([node('HardSigmoid', ['c'], ['y'], { alpha: a.float(0.3), beta: a.float(0.4) })]),
  },
  { name: 'Selu', graph: afterConv([node('Selu', ['c'], ['y'])]) },
  { name: 'Gelu (opset 20)', graph: afterConv([node('Gelu', ['c'], ['y'])], [], 20) },
  {
    name: 'Gelu tanh (opset 20)',
    graph: afterConv([node('Gelu', ['c'], ['y'], { approximate: a.str('tanh') })], [], 20),
  },
  {
    name: 'Clip inputs (ReLU6)',
    graph: afterConv([node('Clip', ['c', 'lo', 'hi'], ['y'])], [scalar('lo', 0), scalar('hi', 6)]),
  },
  {
    name: 'Clip inputs, min only',
    graph: afterConv([node('Clip', ['c', 'lo'], ['y'])], [scalar('lo', -0.3)]),
  },
  {
    name: 'Clip attributes (opset 6)',
    graph: afterConv([node('Clip', ['c'], ['y'], { min: a.float(-0.5), max: a.float(0.25) })], [], 6),
  },
  {
    name: 'Add [C,1,1] bias to a conv output',
    graph: afterConv([node('Add', ['c', 'bias'], ['y'])], [weight('bias', [4, 1, 1], 9)]),
  },
  {
    name: 'Mul by [1,C,1,W] and Sub scalar',
    graph: afterConv(
      [node('Mul', ['c', 'm'], ['t']), node('Sub', ['t', 's'], ['y'])],
      [weight('m', [1, 4, 1, 7], 10), scalar('s', 0.5)],
    ),
  },
  {
    name: 'Div by [W] (last axis)',
    graph: afterConv(
      [node('Div', ['c', 'd'], ['y'])],
      [createTensor('d', DataType.FLOAT, [7], [1, 2, 3, 4, 5, 6, 7])],
    ),
  },
  {
    name: 'Add of two conv outputs (residual)',
    graph: afterConv(
      [node('Conv', ['c', 'w2'], ['c2'], { pads: a.ints([1, 1, 1, 1]) }), node('Add', ['c', 'c2'], ['y'])],
      [weight('w2', [4, 4, 3, 3], 11)],
    ),
  },
  {
    name: 'Add of a conv output and an NCHW input',
    graph: graphOf({
      inputs: { x: X },
      outputs: ['y'],
      nodes: [
        node('Conv', ['x', 'w'], ['c'], { pads: a.ints([1, 1, 1, 1]) }),
        node('Add', ['c', 'x'], ['y']),
      ],
      initializers: [weight('w', [3, 3, 3, 3], 12)],
    }),
  },
  {
    name: 'PRelu with [C,1,1] slope',
    graph: afterConv([node('PRelu', ['c', 'slope'], ['y'])], [weight('slope', [4, 1, 1], 13)]),
  },
  {
    name: 'Pow',
    graph: afterConv([node('Relu', ['c'], ['r']), node('Pow', ['r', 'p'], ['y'])], [scalar('p', 1.5)]),
  },
  {
    name: 'Sum/Mean/Max/Min variadic',
    graph: afterConv(
      [
        node('Sum', ['c', 'c', 'k'], ['s']),
        node('Max', ['s', 'c'], ['m']),
        node('Min', ['m', 'k'], ['n']),
        node('Mean', ['n', 'c'], ['y']),
      ],
      [weight('k', [4, 1, 1], 14)],
    ),
  },
  {
    name: 'Where with a comparison',
    graph: afterConv(
      [node('Greater', ['c', 'z'], ['g']), node('Where', ['g', 'c', 'k'], ['y'])],
      [scalar('z', 0), weight('k', [1, 4, 1, 1], 15)],
    ),
  },
];

const gemmGraph = (
  attrs: Record<string, ReturnType<typeof a.int>>,
  aDims: number[],
  bDims: number[],
  cDims?: number[],
) =>
  graphOf({
    inputs: { x: aDims },
    outputs: ['y'],
    nodes: [node('Gemm', ['x', 'b', ...(cDims ? ['c'] : [])], ['y'], attrs)],
    initializers: [weight('b', bDims, 20), ...(cDims ? [weight('c', cDims, 21)] : [])],
  });
const linearCases: Case[] = [
  { name: 'Gemm transB with bias', graph: gemmGraph({ transB: a.int(1) }, [3, 5], [4, 5], [4]) },
  {
    name: 'Gemm transA, alpha, beta, C [M,N]',
    graph: gemmGraph({ transA: a.int(1), alpha: a.float(0.5), beta: a.float(2) }, [5, 3], [5, 4], [3, 4]),
  },
  { name: 'Gemm scalar C, no trans', graph: gemmGraph({}, [3, 5], [5, 4], []) },
  { name: 'Gemm without C', graph: gemmGraph({ transB: a.int(1) }, [3, 5], [4, 5]) },
  {
    name: 'MatMul 2-D',
    graph: single('MatMul', [3, 5], {}, { inputs: ['b'], initializers: [weight('b', [5, 4], 22)] }),
  },
  {
    name: 'MatMul batched with broadcast',
    graph: single('MatMul', [2, 3, 5], {}, { inputs: ['b'], initializers: [weight('b', [5, 4], 23)] }),
  },
  {
    name: 'MatMul 4-D by 3-D',
    graph: single('MatMul', [2, 2, 3, 5], {}, { inputs: ['b'], initializers: [weight('b', [2, 5, 4], 24)] }),
  },
  {
    name: 'MatMul vector × matrix',
    graph: single('MatMul', [5], {}, { inputs: ['b'], initializers: [weight('b', [5, 4], 25)] }),
  },
  {
    name: 'MatMul matrix × vector',
    graph: single('MatMul', [3, 5], {}, { inputs: ['b'], initializers: [weight('b', [5], 26)] }),
  },
];

const bn = (prefix: string, c: number, seed: number): Tensor[] => [
  weight(`${prefix}s`, [c], seed),
  weight(`${prefix}b`, [c], seed + 1),
  weight(`${prefix}m`, [c], seed + 2),
  createTensor(
    `${prefix}v`,
    DataType.FLOAT,
    [c],
    Array.from({ length: c }, (_, i) => 0.5 + i * 0.25),
  ),
];
const normCases: Case[] = [
  {
    name: 'BatchNormalization after Conv',
    graph: afterConv(
      [node('BatchNormalization', ['c', 'bns', 'bnb', 'bnm', 'bnv'], ['y'], { epsilon: a.float(1e-3) })],
      bn('bn', 4, 30),
    ),
  },
  {
    name: 'BatchNormalization on [N,C]',
    graph: single(
      'BatchNormalization',
      [3, 4],
      {},
      { inputs: ['bns', 'bnb', 'bnm', 'bnv'], initializers: bn('bn', 4, 31) },
    ),
  },
  {
    name: 'BatchNormalization on [N,C,L]',
    graph: single(
      'BatchNormalization',
      [2, 4, 5],
      {},
      { inputs: ['bns', 'bnb', 'bnm', 'bnv'], initializers: bn('bn', 4, 32) },
    ),
  },
  {
    name: 'InstanceNormalization',
    graph: afterConv(
      [node('InstanceNormalization', ['c', 's', 'b'], ['y'])],
      [weight('s', [4], 33), weight('b', [4], 34)],
    ),
  },
  {
    name: 'LayerNormalization (opset 17) over the last two dims',
    graph: afterConv(
      [node('LayerNormalization', ['c', 's', 'b'], ['y'], { axis: a.int(-2) })],
      [weight('s', [7, 7], 35), weight('b', [7, 7], 36)],
      17,
    ),
  },
];

const layoutCases: Case[] = [
  { name: 'Flatten after Conv', graph: afterConv([node('Flatten', ['c'], ['y'])]) },
  { name: 'Flatten axis 2', graph: afterConv([node('Flatten', ['c'], ['y'], { axis: a.int(2) })]) },
  {
    name: 'Flatten after GlobalAveragePool',
    graph: afterConv([node('GlobalAveragePool', ['c'], ['g']), node('Flatten', ['g'], ['y'])]),
  },
  {
    name: 'Reshape [0, -1]',
    graph: afterConv([node('Reshape', ['c', 'shape'], ['y'])], [int64('shape', [0, -1])]),
  },
  {
    name: 'Reshape [N, 2, 2, 49]',
    graph: afterConv([node('Reshape', ['c', 'shape'], ['y'])], [int64('shape', [2, 2, 2, 49])]),
  },
  {
    name: 'Shape→Gather→Unsqueeze→Concat→Reshape (dynamic batch)',
    graph: afterConv(
      [
        node('Shape', ['c'], ['s']),
        node('Gather', ['s', 'zero'], ['n'], { axis: a.int(0) }),
        node('Unsqueeze', ['n', 'axes'], ['nu']),
        node('Concat', ['nu', 'minus1'], ['target'], { axis: a.int(0) }),
        node('Reshape', ['c', 'target'], ['y']),
      ],
      [int64('zero', [0], []), int64('axes', [0]), int64('minus1', [-1])],
    ),
  },
  {
    name: 'Transpose to NHWC',
    graph: afterConv([node('Transpose', ['c'], ['y'], { perm: a.ints([0, 2, 3, 1]) })]),
  },
  {
    name: 'Transpose [0, 1, 3, 2]',
    graph: afterConv([node('Transpose', ['c'], ['y'], { perm: a.ints([0, 1, 3, 2]) })]),
  },
  { name: 'Transpose default (reverse)', graph: afterConv([node('Transpose', ['c'], ['y'])]) },
  {
    name: 'Concat channels of conv and input',
    graph: afterConv([node('Concat', ['c', 'x'], ['y'], { axis: a.int(1) })]),
  },
  { name: 'Concat along width', graph: afterConv([node('Concat', ['c', 'c'], ['y'], { axis: a.int(-1) })]) },
  {
    name: 'Split channels [1, 3] (opset 13 input)',
    graph: afterConv(
      [node('Split', ['c', 'sizes'], ['y', 'z'], { axis: a.int(1) })],
      [int64('sizes', [1, 3])],
      13,
      ['y', 'z'],
    ),
  },
  {
    name: 'Split height equally (opset 11 attribute form)',
    graph: afterConv([node('Split', ['c'], ['y', 'z'], { axis: a.int(2), split: a.ints([3, 4]) })], [], 11, [
      'y',
      'z',
    ]),
  },
  {
    name: 'Slice channels 1:3',
    graph: afterConv(
      [node('Slice', ['c', 'st', 'en', 'ax'], ['y'])],
      [int64('st', [1]), int64('en', [3]), int64('ax', [1])],
    ),
  },
  {
    name: 'Slice spatial with step 2 and negative start',
    graph: afterConv(
      [node('Slice', ['c', 'st', 'en', 'ax', 'sp'], ['y'])],
      [int64('st', [-6, 0]), int64('en', [7, 100]), int64('ax', [2, 3]), int64('sp', [2, 3])],
    ),
  },
  {
    name: 'Slice with negative step',
    graph: afterConv(
      [node('Slice', ['c', 'st', 'en', 'ax', 'sp'], ['y'])],
      [int64('st', [3, -1]), int64('en', [0, -100]), int64('ax', [1, 3]), int64('sp', [-1, -2])],
    ),
  },
  {
    name: 'Slice (opset 9 attributes)',
    graph: afterConv(
      [node('Slice', ['c'], ['y'], { starts: a.ints([1, 2]), ends: a.ints([3, 6]), axes: a.ints([1, 3]) })],
      [],
      9,
    ),
  },
  {
    name: 'GlobalAveragePool → Squeeze → Unsqueeze',
    graph: afterConv(
      [
        node('GlobalAveragePool', ['c'], ['g']),
        node('Squeeze', ['g', 'ax'], ['s']),
        node('Unsqueeze', ['s', 'ax1'], ['y']),
      ],
      [int64('ax', [2, 3]), int64('ax1', [1])],
    ),
  },
  {
    name: 'Squeeze/Unsqueeze attributes (opset 11)',
    graph: afterConv(
      [
        node('GlobalMaxPool', ['c'], ['g']),
        node('Squeeze', ['g'], ['s'], { axes: a.ints([3]) }),
        node('Unsqueeze', ['s'], ['y'], { axes: a.ints([0]) }),
      ],
      [],
      11,
    ),
  },
  {
    name: 'Pad constant (with value)',
    graph: afterConv(
      [node('Pad', ['c', 'pads', 'v'], ['y'])],
      [int64('pads', [0, 1, 2, 0, 0, 0, 1, 3]), scalar('v', 0.5)],
    ),
  },
  {
    name: 'Pad reflect',
    graph: afterConv(
      [node('Pad', ['c', 'pads'], ['y'], { mode: a.str('reflect') })],
      [int64('pads', [0, 0, 2, 1, 0, 0, 1, 3])],
    ),
  },
  {
    name: 'Pad edge with a negative pad',
    graph: afterConv(
      [node('Pad', ['c', 'pads'], ['y'], { mode: a.str('edge') })],
      [int64('pads', [0, 0, 2, -1, 0, 0, 1, 3])],
    ),
  },
  {
    name: 'Pad (opset 2 attributes)',
    graph: afterConv(
      [node('Pad', ['c'], ['y'], { pads: a.ints([0, 0, 1, 1, 0, 0, 1, 1]), value: a.float(-1) })],
      [],
      9,
    ),
  },
  {
    name: 'Gather channels (1-D indices)',
    graph: afterConv([node('Gather', ['c', 'idx'], ['y'], { axis: a.int(1) })], [int64('idx', [3, 0, -1])]),
  },
  {
    name: 'Gather a row (scalar index)',
    graph: afterConv([node('Gather', ['c', 'idx'], ['y'], { axis: a.int(2) })], [int64('idx', [2], [])]),
  },
  {
    name: 'Gather 2-D indices along width',
    graph: afterConv(
      [node('Gather', ['c', 'idx'], ['y'], { axis: a.int(3) })],
      [int64('idx', [0, 1, 6, 5], [2, 2])],
    ),
  },
  {
    name: 'ReduceMean over H, W keepdims',
    graph: afterConv([node('ReduceMean', ['c'], ['y'], { axes: a.ints([2, 3]) })]),
  },
  {
    name: 'ReduceMean over channels, no keepdims',
    graph: afterConv([node('ReduceMean', ['c'], ['y'], { axes: a.ints([1]), keepdims: a.int(0) })]),
  },
  {
    name: 'ReduceSum (opset 13 input axes)',
    graph: afterConv([node('ReduceSum', ['c', 'ax'], ['y'], { keepdims: a.int(0) })], [int64('ax', [-1, 1])]),
  },
  {
    name: 'ReduceMax and ReduceL2 over everything',
    graph: afterConv([
      node('ReduceMax', ['c'], ['m']),
      node('ReduceL2', ['c'], ['l']),
      node('Add', ['m', 'l'], ['y']),
    ]),
  },
  {
    name: 'Softmax over channels (opset 13)',
    graph: afterConv([node('Softmax', ['c'], ['y'], { axis: a.int(1) })]),
  },
  { name: 'Softmax over width (opset 13 default)', graph: afterConv([node('Softmax', ['c'], ['y'])]) },
  {
    name: 'LogSoftmax (opset 11, coerced to 2-D)',
    graph: afterConv([node('LogSoftmax', ['c'], ['y'], { axis: a.int(1) })], [], 11),
  },
  {
    name: 'Softmax over height (opset 13)',
    graph: afterConv([node('Softmax', ['c'], ['y'], { axis: a.int(2) })]),
  },
  {
    name: 'Identity and Dropout pass through',
    graph: afterConv([node('Identity', ['c'], ['i']), node('Dropout', ['i'], ['y'])]),
  },
  {
    name: 'Cast to int32 and back',
    graph: afterConv([
      node('Cast', ['c'], ['i'], { to: a.int(DataType.INT32) }),
      node('Cast', ['i'], ['y'], { to: a.int(DataType.FLOAT) }),
    ]),
  },
  {
    name: 'Expand',
    graph: single('Expand', [3, 1], {}, { inputs: ['s'], initializers: [int64('s', [2, 3, 4])] }),
  },
  { name: 'Tile', graph: afterConv([node('Tile', ['c', 'r'], ['y'])], [int64('r', [1, 2, 1, 2])]) },
];

const q = (
  name: string,
  values: number[],
  type: number = DataType.UINT8,
  dims: number[] = values.length === 1 ? [] : [values.length],
) => createTensor(name, type, dims, values);
const quantCases: Case[] = [
  {
    name: 'QuantizeLinear → DequantizeLinear on an activation (uint8)',
    graph: afterConv(
      [node('QuantizeLinear', ['c', 's', 'z'], ['q']), node('DequantizeLinear', ['q', 's', 'z'], ['y'])],
      [scalar('s', 0.02), q('z', [128])],
    ),
  },
  {
    name: 'Q/DQ int8 per channel on a conv output',
    graph: afterConv(
      [
        node('QuantizeLinear', ['c', 's', 'z'], ['q'], { axis: a.int(1) }),
        node('DequantizeLinear', ['q', 's', 'z'], ['y'], { axis: a.int(1) }),
      ],
      [
        createTensor('s', DataType.FLOAT, [4], [0.01, 0.02, 0.03, 0.05]),
        q('z', [0, 1, -2, 3], DataType.INT8),
      ],
    ),
  },
  {
    name: 'DequantizeLinear int8 weights per output channel → Conv',
    graph: graphOf({
      inputs: { x: X },
      outputs: ['y'],
      nodes: [
        node('DequantizeLinear', ['wq', 'ws', 'wz'], ['w'], { axis: a.int(0) }),
        node('Conv', ['x', 'w'], ['y'], { pads: a.ints([1, 1, 1, 1]) }),
      ],
      initializers: [
        createTensor(
          'wq',
          DataType.INT8,
          [4, 3, 3, 3],
          Array.from({ length: 108 }, (_, i) => ((i * 37) % 255) - 127),
        ),
        createTensor('ws', DataType.FLOAT, [4], [0.004, 0.002, 0.003, 0.001]),
        q('wz', [0, 0, 0, 0], DataType.INT8),
      ],
    }),
  },
];

describe.each([
  ['convolutions', convCases],
  ['pooling', poolCases],
  ['elementwise', elementCases],
  ['linear', linearCases],
  ['normalization', normCases],
  ['layout and shape ops', layoutCases],
  ['quantization (QDQ in float)', quantCases],
] as const)('executor vs onnxruntime-web: %s', (_family, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const inputName = c.graph.inputs[0]!.name;
    const type = c.graph.inputs[0]!.type;
    const dims =
      (type?.kind === 'tensor' ? type.shape : undefined)?.map((d) => (typeof d === 'number' ? d : 2)) ?? X;
    const feeds = c.feeds ?? { [inputName]: feed(dims, 7, 2) };
    const { maxDiff, tfjs } = await compareWithOrt(c.graph, feeds);
    expect(Object.keys(tfjs).length).toBe(c.graph.outputs.length);
    expect(maxDiff).toBeLessThanOrEqual(c.tol ?? 1e-4);
    // The transpose-around-every-op strategy computes the same.
    const { maxDiff: firstDiff } = await compareWithOrt(c.graph, feeds, { layout: 'channels-first' });
    expect(firstDiff).toBeLessThanOrEqual(c.tol ?? 1e-4);
  });
});
