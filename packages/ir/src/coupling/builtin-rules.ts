import type { Node } from '../graph';
import type { ChannelRule } from './channel-rule';
import {
  concatRule,
  expandRule,
  flattenRule,
  padRule,
  reshapeRule,
  resizeRule,
  sliceRule,
  splitRule,
  squeezeRule,
  tileRule,
  transposeRule,
  unsqueezeRule,
} from './rules-layout';
import { layerNormRule, normRule, poolRule, qdqRule, reduceRule } from './rules-misc';
import { convRule, gemmRule, matMulRule } from './rules-producers';

const UNARY = [
  'Relu',
  'LeakyRelu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'HardSwish',
  'HardSigmoid',
  'Dropout',
  'Identity',
  'Cast',
  'Elu',
  'Selu',
  'Celu',
  'ThresholdedRelu',
  'Softplus',
  'Softsign',
  'Gelu',
  'Erf',
  'Exp',
  'Log',
  'Abs',
  'Neg',
  'Sqrt',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'Mish',
  'Sin',
  'Cos',
  'Tan',
  'Not',
  'IsNaN',
  'IsInf',
  'Shrink',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
];
const ELEMENTWISE = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Max',
  'Min',
  'Sum',
  'Mean',
  'PRelu',
  'Mod',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'And',
  'Or',
  'Xor',
  'BitShift',
  'Where',
];
const POOLS = [
  'MaxPool',
  'AveragePool',
  'LpPool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'GlobalLpPool',
  'LRN',
];
const REDUCE = [
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
  'ArgMax',
  'ArgMin',
];

const TABLE = new Map<string, ChannelRule>([
  ...UNARY.map((op) => [op, 'unary'] as const),
  ...ELEMENTWISE.map((op) => [op, 'elementwise'] as const),
  ...POOLS.map((op) => [op, poolRule] as const),
  ...REDUCE.map((op) => [op, reduceRule] as const),
  ['Shape', 'sink'],
  ['Size', 'sink'],
  ['Conv', convRule],
  ['ConvTranspose', convRule],
  ['Gemm', gemmRule],
  ['MatMul', matMulRule],
  ['BatchNormalization', normRule],
  ['InstanceNormalization', normRule],
  ['LayerNormalization', layerNormRule],
  ['QuantizeLinear', qdqRule],
  ['DequantizeLinear', qdqRule],
  ['Flatten', flattenRule],
  ['Reshape', reshapeRule],
  ['Transpose', transposeRule],
  ['Squeeze', squeezeRule],
  ['Unsqueeze', unsqueezeRule],
  ['Concat', concatRule],
  ['Split', splitRule],
  ['Slice', sliceRule],
  ['Pad', padRule],
  ['Resize', resizeRule],
  ['Upsample', resizeRule],
  ['Expand', expandRule],
  ['Tile', tileRule],
]);

/** The built-in channel rule of a node's op (default ONNX domain only), if there is one. */
export function builtinChannelRule(node: Node): ChannelRule | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  return TABLE.get(node.opType);
}

/**
 * Op types (default domain) with a built-in channel rule.
 *
 * @example
 * builtinChannelOps().includes('Conv'); // true
 */
export function builtinChannelOps(): string[] {
  return [...TABLE.keys()];
}
