import { DataType } from '../dtype';
import type { Dim } from '../graph';
import { createTensor, toNumbers, type Tensor } from '../tensor';
import type { ChannelRuleContext, ChannelValue } from './channel-rule';

/** Marker for a list that exists but is computed at run time. */
export const DYNAMIC = 'dynamic' as const;

/**
 * Integers from constant input `input` (when the node has it) or else from attribute `attr`.
 * Returns undefined when neither is given, `DYNAMIC` when the input is not a constant.
 */
export function intsFrom(
  ctx: ChannelRuleContext,
  input: number,
  attr?: string,
): number[] | undefined | typeof DYNAMIC {
  const name = input >= 0 ? ctx.node.inputs[input] : undefined;
  if (name) {
    const c = ctx.constant(input);
    if (!c) return DYNAMIC;
    return Array.from(toNumbers(c), Number);
  }
  if (attr) {
    const a = ctx.node.attributes[attr];
    if (a?.type === 'ints') return [...a.value];
    if (a?.type === 'int') return [a.value];
  }
  return undefined;
}

/** Floats from a constant input or attribute (see {@link intsFrom}). */
export function floatsFrom(
  ctx: ChannelRuleContext,
  input: number,
  attr?: string,
): number[] | undefined | typeof DYNAMIC {
  const name = input >= 0 ? ctx.node.inputs[input] : undefined;
  if (name) {
    const c = ctx.constant(input);
    if (!c) return DYNAMIC;
    return Array.from(toNumbers(c), Number);
  }
  if (attr) {
    const a = ctx.node.attributes[attr];
    if (a?.type === 'floats') return [...a.value];
  }
  return undefined;
}

/** An int attribute or its default. */
export function intAttr(ctx: ChannelRuleContext, name: string, fallback: number): number {
  const a = ctx.node.attributes[name];
  return a?.type === 'int' ? a.value : fallback;
}

/** Normalizes a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Elements of the value's axis (channels × span). */
export function widthOf(v: ChannelValue): number {
  return v.atoms.length * v.span.value;
}

/** Product of numeric dims, or undefined when one is not a number. */
export function productOf(dims: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** An int64 tensor with the same name as `like`, or named `name`. */
export function int64Tensor(name: string, values: readonly number[]): Tensor {
  return createTensor(name, DataType.INT64, [values.length], [...values]);
}
