import { attrInt, attrInts } from '../attributes';
import type { Dim } from '../graph';
import type { ValueShape } from '../shape/value-shape';
import type { CostContext, CostRule, InputRole } from './cost-rule';

type MacsFn = NonNullable<CostRule['macs']>;

function count(v: ValueShape | undefined): number | undefined {
  const s = v?.shape;
  if (!s) return undefined;
  let n = 1;
  for (const d of s) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

function productFrom(shape: readonly Dim[] | undefined, start: number): number | undefined {
  if (!shape) return undefined;
  return count({ dataType: 0, shape: shape.slice(start) });
}

/** Conv-like: output elements × (Cin / group) × kernel elements = out × prod(W.dims[1:]). */
function convMacs(wIndex: number): MacsFn {
  return (_node, ctx) => {
    const out = count(ctx.output(0));
    const perOutput = productFrom(ctx.input(wIndex)?.shape, 1);
    return out === undefined || perOutput === undefined ? undefined : out * perOutput;
  };
}

/** Gemm-like: M × N × K = output elements × K. */
function gemmMacs(aIndex: number): MacsFn {
  return (node, ctx) => {
    const out = count(ctx.output(0));
    const a = ctx.input(aIndex)?.shape;
    const k = a && a.length === 2 ? a[attrInt(node, 'transA', 0) ? 0 : 1] : undefined;
    return out === undefined || typeof k !== 'number' ? undefined : out * k;
  };
}

/** MatMul-like: batch × M × N × K = output elements × K (K = A's last dim). */
function matmulMacs(aIndex: number, transA = false): MacsFn {
  return (node, ctx) => {
    const out = count(ctx.output(0));
    const a = ctx.input(aIndex)?.shape;
    if (!a || a.length === 0) return undefined;
    const t = transA && attrInt(node, 'transA', 0) !== 0 && a.length >= 2;
    const k = a[a.length - (t ? 2 : 1)];
    return out === undefined || typeof k !== 'number' ? undefined : out * k;
  };
}

/** FLOPs of a MAC op: 2 per MAC, plus one add per output element for a bias. */
function macFlops(macs: NonNullable<CostRule['macs']>, biasIndex: number): CostRule['flops'] {
  return (node, ctx) => {
    const m = macs(node, ctx);
    if (m === undefined) return undefined;
    const bias = biasIndex >= 0 && node.inputs[biasIndex] ? (count(ctx.output(0)) ?? 0) : 0;
    return 2 * m + bias;
  };
}

function perOutput(factor: number): CostRule['flops'] {
  return (_node, ctx) => {
    const n = count(ctx.output(0));
    return n === undefined ? undefined : factor * n;
  };
}

function perInput(factor: number): CostRule['flops'] {
  return (_node, ctx) => {
    const n = count(ctx.input(0));
    return n === undefined ? undefined : factor * n;
  };
}

const poolFlops: CostRule['flops'] = (node, ctx) => {
  const n = count(ctx.output(0));
  const k = attrInts(node, 'kernel_shape')?.reduce((a, b) => a * b, 1);
  return n === undefined || k === undefined ? undefined : n * k;
};

function mac(
  macs: NonNullable<CostRule['macs']>,
  biasIndex: number,
  inputRoles?: readonly InputRole[],
): CostRule {
  return { macs, flops: macFlops(macs, biasIndex), inputRoles };
}

const S: InputRole = 'storage';
const W: InputRole = 'weight';
const A: InputRole = 'auto';

/** The built-in cost rules, keyed like shape rules (`opType` or `domain:opType`). */
export function builtinCostRules(): Map<string, CostRule> {
  const rules = new Map<string, CostRule>();
  const convTransposeMacs: NonNullable<CostRule['macs']> = (_node, ctx: CostContext) => {
    const inCount = count(ctx.input(0));
    const perInput = productFrom(ctx.input(1)?.shape, 1);
    return inCount === undefined || perInput === undefined ? undefined : inCount * perInput;
  };
  rules.set('Conv', mac(convMacs(1), 2));
  rules.set('com.microsoft:FusedConv', mac(convMacs(1), 2));
  rules.set('ConvTranspose', mac(convTransposeMacs, 2));
  rules.set('ConvInteger', mac(convMacs(1), -1, [A, W, S, S]));
  rules.set('QLinearConv', mac(convMacs(3), 8, [A, S, S, W, S, S, S, S, W]));
  rules.set('Gemm', mac(gemmMacs(0), 2));
  rules.set('com.microsoft:FusedGemm', mac(gemmMacs(0), 2));
  rules.set('com.microsoft:QGemm', mac(gemmMacs(0), 6, [A, S, S, A, S, S, W, S, S]));
  rules.set('MatMul', mac(matmulMacs(0), -1));
  rules.set('com.microsoft:FusedMatMul', mac(matmulMacs(0, true), -1));
  rules.set('MatMulInteger', mac(matmulMacs(0), -1, [A, A, S, S]));
  rules.set('QLinearMatMul', mac(matmulMacs(0), -1, [A, S, S, A, S, S, S, S]));
  for (const op of ['MaxPool', 'AveragePool', 'LpPool']) rules.set(op, { flops: poolFlops });
  rules.set('com.microsoft:QLinearAveragePool', { flops: poolFlops, inputRoles: [A, S, S, S, S] });
  for (const op of ['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool'])
    rules.set(op, { flops: perInput(1) });
  rules.set('com.microsoft:QLinearGlobalAveragePool', { flops: perInput(1), inputRoles: [A, S, S, S, S] });
  rules.set('BatchNormalization', { flops: perOutput(2) });
  rules.set('InstanceNormalization', { flops: perOutput(4) });
  rules.set('LayerNormalization', { flops: perOutput(5) });
  for (const op of ['Softmax', 'LogSoftmax']) rules.set(op, { flops: perOutput(3) });
  const unary = [
    'Relu',
    'LeakyRelu',
    'PRelu',
    'Sigmoid',
    'Tanh',
    'HardSigmoid',
    'HardSwish',
    'Exp',
    'Log',
    'Sqrt',
    'Neg',
    'Abs',
    'Erf',
    'Softplus',
    'Softsign',
    'Elu',
    'Selu',
    'Celu',
    'Gelu',
    'Mish',
    'Reciprocal',
    'Floor',
    'Ceil',
    'Round',
    'Sign',
  ];
  for (const op of unary) rules.set(op, { flops: perOutput(1) });
  rules.set('Clip', { flops: perOutput(1), inputRoles: [A, S, S] });
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Where'])
    rules.set(op, { flops: perOutput(1) });
  for (const op of [
    'ReduceMean',
    'ReduceSum',
    'ReduceMax',
    'ReduceMin',
    'ReduceProd',
    'ReduceL1',
    'ReduceL2',
    'ReduceSumSquare',
  ]) {
    rules.set(op, { flops: perInput(1), inputRoles: [A, S] });
  }
  // shape-valued inputs are storage, never params
  const shapeInputs: Record<string, readonly InputRole[]> = {
    Reshape: [A, S],
    Expand: [A, S],
    Tile: [A, S],
    Slice: [A, S, S, S, S],
    Pad: [A, S, S, S],
    Squeeze: [A, S],
    Unsqueeze: [A, S],
    Split: [A, S],
    TopK: [A, S],
    Gather: [A, S],
    GatherElements: [A, S],
    ConstantOfShape: [S],
    Range: [S, S, S],
    Resize: [A, S, S, S],
    Upsample: [A, S],
    QuantizeLinear: [A, S, S],
    DequantizeLinear: [A, S, S],
    'com.microsoft:QLinearAdd': [A, S, S, A, S, S, S, S],
    'com.microsoft:QLinearMul': [A, S, S, A, S, S, S, S],
    'com.microsoft:QLinearSigmoid': [A, S, S, S, S],
    'com.microsoft:QLinearLeakyRelu': [A, S, S, S, S],
  };
  for (const [op, inputRoles] of Object.entries(shapeInputs)) rules.set(op, { ...rules.get(op), inputRoles });
  return rules;
}
