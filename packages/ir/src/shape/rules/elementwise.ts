import { attrFloat, attrInt } from '../../attributes';
import { DataType, isFloatType } from '../../dtype';
import type { Dim } from '../../graph';
import type { ShapeRule } from '../shape-rule';
import type { ValueShape } from '../value-shape';
import { elementwise, hasInput, sameShape } from './helpers';

const unaryWithValue: Record<string, (x: number, attrs: { alpha: number; beta: number }) => number> = {
  Identity: (x) => x,
  Neg: (x) => -x,
  Abs: (x) => Math.abs(x),
  Relu: (x) => Math.max(0, x),
  Floor: (x) => Math.floor(x),
  Ceil: (x) => Math.ceil(x),
  Round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // half to even
  },
  Sqrt: (x) => Math.sqrt(x),
  Exp: (x) => Math.exp(x),
  Log: (x) => Math.log(x),
  Reciprocal: (x) => 1 / x,
  Sign: (x) => Math.sign(x),
  Not: (x) => (x ? 0 : 1),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: (x) => Math.tanh(x),
  LeakyRelu: (x, a) => (x >= 0 ? x : a.alpha * x),
};

/** Same shape and type as the input, no contents. */
const unaryNoValue = [
  'Erf',
  'Softplus',
  'Softsign',
  'Elu',
  'Selu',
  'Celu',
  'Mish',
  'HardSigmoid',
  'HardSwish',
  'Gelu',
  'ThresholdedRelu',
  'Sin',
  'Cos',
  'Tan',
  'Asin',
  'Acos',
  'Atan',
  'Sinh',
  'Cosh',
  'Asinh',
  'Acosh',
  'Atanh',
  'BitwiseNot',
  'Shrink',
  'LRN',
  'InstanceNormalization',
  'MeanVarianceNormalization',
  'LpNormalization',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'CumSum',
  'Trilu',
  'ReverseSequence',
];

function modOp(fmod: number): (a: number, b: number) => number {
  return fmod
    ? (a, b) => a % b
    : (a, b) => {
        const r = a % b;
        return r !== 0 && r < 0 !== b < 0 ? r + b : r;
      };
}

function symbolicIdentityArith(op: string): (...xs: Dim[]) => Dim {
  return (a, b) => {
    if (op === 'Mul') {
      if (b === 1) return a;
      if (a === 1) return b;
    } else if (op === 'Add') {
      if (b === 0) return a;
      if (a === 0) return b;
    } else if ((op === 'Sub' && b === 0) || (op === 'Div' && b === 1)) return a;
    return null;
  };
}

/** Before opset 7, binary ops broadcast B onto A (`broadcast`/`axis` attributes): the output has A's shape. */
function legacyBroadcast(inputs: readonly (ValueShape | undefined)[]): ValueShape | undefined {
  return sameShape(inputs[0]);
}

const symbolicEqual = (a: Dim, b: Dim): Dim => (a !== null && a === b ? 1 : null);

/** Elementwise unary, binary, variadic and comparison ops. */
export function elementwiseRules(): Record<string, ShapeRule> {
  const rules: Record<string, ShapeRule> = {};
  for (const [op, f] of Object.entries(unaryWithValue)) {
    rules[op] = (node, inputs, ctx) => {
      const attrs = { alpha: attrFloat(node, 'alpha', 0.01), beta: 0 };
      return [
        elementwise(node, inputs, ctx, {
          fn: (x) => f(x, attrs),
          symbolic: op === 'Identity' ? (x) => x : undefined,
        }),
      ];
    };
  }
  for (const op of unaryNoValue) rules[op] = (_node, [x]) => [sameShape(x)];
  rules.IsNaN = (_node, [x]) => [sameShape(x, DataType.BOOL)];
  rules.IsInf = (_node, [x]) => [sameShape(x, DataType.BOOL)];
  // Dropout: output 1 is the mask (bool since opset 10, the input's type before).
  rules.Dropout = (_node, [x], ctx) => [
    sameShape(x),
    sameShape(x, ctx.opset >= 10 ? DataType.BOOL : x?.dataType),
  ];
  rules.Clip = (node, inputs, ctx) => {
    const lo = hasInput(node, 1) ? inputs[1]?.value?.[0] : attrFloat(node, 'min');
    const hi = hasInput(node, 2) ? inputs[2]?.value?.[0] : attrFloat(node, 'max');
    const known = (!hasInput(node, 1) || lo !== undefined) && (!hasInput(node, 2) || hi !== undefined);
    const x = inputs[0];
    const out = elementwise(
      { ...node, inputs: node.inputs.slice(0, 1) },
      [x],
      ctx,
      known ? { fn: (v) => Math.min(hi ?? Infinity, Math.max(lo ?? -Infinity, v)) } : {},
    );
    return [out];
  };
  const binary: Record<string, (a: number, b: number) => number> = {
    Add: (a, b) => a + b,
    Sub: (a, b) => a - b,
    Mul: (a, b) => a * b,
    Pow: (a, b) => Math.pow(a, b),
    BitShift: (a, b) => a * 2 ** b, // replaced per-node below for RIGHT
    BitwiseAnd: (a, b) => a & b,
    BitwiseOr: (a, b) => a | b,
    BitwiseXor: (a, b) => a ^ b,
    And: (a, b) => (a && b ? 1 : 0),
    Or: (a, b) => (a || b ? 1 : 0),
    Xor: (a, b) => (!!a !== !!b ? 1 : 0),
    PRelu: (x, slope) => (x >= 0 ? x : slope * x),
  };
  for (const [op, f] of Object.entries(binary)) {
    const symbolic = op === 'Add' || op === 'Sub' || op === 'Mul' ? symbolicIdentityArith(op) : undefined;
    rules[op] = (node, inputs, ctx) => {
      if (ctx.opset < 7) return [legacyBroadcast(inputs)];
      let fn = f;
      if (op === 'BitShift' && node.attributes.direction?.value === 'RIGHT')
        fn = (a, b) => Math.floor(a / 2 ** b);
      return [elementwise(node, inputs, ctx, { fn, symbolic })];
    };
  }
  rules.Div = (node, inputs, ctx) => {
    if (ctx.opset < 7) return [legacyBroadcast(inputs)];
    const integer = inputs[0] ? !isFloatType(inputs[0].dataType) : false;
    const fn = integer ? (a: number, b: number) => Math.trunc(a / b) : (a: number, b: number) => a / b;
    return [elementwise(node, inputs, ctx, { fn, symbolic: symbolicIdentityArith('Div') })];
  };
  rules.Mod = (node, inputs, ctx) => [
    elementwise(node, inputs, ctx, { fn: modOp(attrInt(node, 'fmod', 0)) }),
  ];
  const variadic: Record<string, (...xs: number[]) => number> = {
    Max: (...xs) => Math.max(...xs),
    Min: (...xs) => Math.min(...xs),
    Sum: (...xs) => xs.reduce((a, b) => a + b, 0),
    Mean: (...xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  };
  for (const [op, fn] of Object.entries(variadic))
    rules[op] = (node, inputs, ctx) => [elementwise(node, inputs, ctx, { fn })];
  const compare: Record<string, (a: number, b: number) => number> = {
    Equal: (a, b) => (a === b ? 1 : 0),
    Less: (a, b) => (a < b ? 1 : 0),
    Greater: (a, b) => (a > b ? 1 : 0),
    LessOrEqual: (a, b) => (a <= b ? 1 : 0),
    GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  };
  for (const [op, fn] of Object.entries(compare)) {
    rules[op] = (node, inputs, ctx) => [
      elementwise(node, inputs, ctx, {
        fn,
        outType: DataType.BOOL,
        symbolic: op === 'Equal' ? symbolicEqual : undefined,
      }),
    ];
  }
  rules.Where = (node, inputs, ctx) => [
    elementwise(node, inputs, ctx, {
      outType: inputs[1]?.dataType || inputs[2]?.dataType || 0,
      fn: (c, x, y) => (c ? x : y),
      symbolic: (c, x, y) => (typeof c === 'number' ? (c ? x : y) : x !== null && x === y ? x : null),
    }),
  ];
  return rules;
}
