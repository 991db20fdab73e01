import { attrInt } from '../../attributes';
import { DataType } from '../../dtype';
import type { Dim, Node } from '../../graph';
import { normalizeAxis } from '../dims';
import type { ShapeContext, ShapeRule } from '../shape-rule';
import { staticShape, type ValueShape } from '../value-shape';
import { reduceValues, roundToType } from '../values';
import { countOf, hasInput, intsArg } from './helpers';

type Reducer = {
  step: (acc: number, x: number) => number;
  init: number;
  finish?: (acc: number, n: number) => number;
};

const REDUCERS: Record<string, Reducer | undefined> = {
  ReduceSum: { step: (a, x) => a + x, init: 0 },
  ReduceMean: { step: (a, x) => a + x, init: 0, finish: (a, n) => a / n },
  ReduceMax: { step: (a, x) => Math.max(a, x), init: -Infinity },
  ReduceMin: { step: (a, x) => Math.min(a, x), init: Infinity },
  ReduceProd: { step: (a, x) => a * x, init: 1 },
  ReduceL1: { step: (a, x) => a + Math.abs(x), init: 0 },
  ReduceSumSquare: { step: (a, x) => a + x * x, init: 0 },
  ReduceL2: { step: (a, x) => a + x * x, init: 0, finish: (a) => Math.sqrt(a) },
  ReduceLogSum: undefined,
  ReduceLogSumExp: undefined,
};

function reduceShape(
  node: Node,
  inputs: readonly (ValueShape | undefined)[],
  ctx: ShapeContext,
  reducer: Reducer | undefined,
): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const xs = x?.shape;
  const keep = attrInt(node, 'keepdims', 1) !== 0;
  const axesArg = intsArg(node, inputs, 1, 'axes');
  if (!xs) return { dataType };
  if (axesArg === null) return { dataType, shape: keep ? xs.map(() => null) : undefined };
  if ((!axesArg || axesArg.length === 0) && attrInt(node, 'noop_with_empty_axes', 0))
    return { ...x, dataType };
  const axes =
    axesArg && axesArg.length > 0
      ? axesArg.map((a) => normalizeAxis(a, xs.length, (f, r) => ctx.fail(f, r), 'axes'))
      : xs.map((_, i) => i);
  const out: Dim[] = [];
  xs.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  const s = staticShape(x);
  if (reducer && x.value && s && ctx.wantsValue(countOf(out))) {
    const n = axes.reduce((a, i) => a * s[i], 1);
    const raw = reduceValues(x.value, s, axes, reducer.step, reducer.init);
    return {
      dataType,
      shape: out,
      value: raw.map((v) => roundToType(reducer.finish ? reducer.finish(v, n) : v, dataType)),
    };
  }
  return { dataType, shape: out };
}

function argShape(node: Node, x: ValueShape | undefined, ctx: ShapeContext): ValueShape {
  const xs = x?.shape;
  if (!xs) return { dataType: DataType.INT64 };
  const axis = normalizeAxis(attrInt(node, 'axis', 0), xs.length, (f, r) => ctx.fail(f, r), 'attribute.axis');
  const keep = attrInt(node, 'keepdims', 1) !== 0;
  return { dataType: DataType.INT64, shape: xs.flatMap((d, i) => (i === axis ? (keep ? [1] : []) : [d])) };
}

/** The Reduce* family, ArgMax/ArgMin and TopK. */
export function reduceRules(): Record<string, ShapeRule> {
  const rules: Record<string, ShapeRule> = {};
  for (const [op, reducer] of Object.entries(REDUCERS))
    rules[op] = (node, inputs, ctx) => [reduceShape(node, inputs, ctx, reducer)];
  rules.ArgMax = (node, [x], ctx) => [argShape(node, x, ctx)];
  rules.ArgMin = (node, [x], ctx) => [argShape(node, x, ctx)];
  rules.TopK = (node, inputs, ctx) => {
    const x = inputs[0];
    const xs = x?.shape;
    if (!xs) return [{ dataType: x?.dataType ?? 0 }, { dataType: DataType.INT64 }];
    const axis = normalizeAxis(
      attrInt(node, 'axis', -1),
      xs.length,
      (f, r) => ctx.fail(f, r),
      'attribute.axis',
    );
    const k = hasInput(node, 1) ? (inputs[1]?.value?.[0] ?? null) : attrInt(node, 'k', 0);
    const shape = xs.map((d, i) => (i === axis ? k : d));
    return [
      { dataType: x!.dataType, shape },
      { dataType: DataType.INT64, shape },
    ];
  };
  return rules;
}
