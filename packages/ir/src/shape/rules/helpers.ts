import { attrInts } from '../../attributes';
import type { Dim, Node } from '../../graph';
import { broadcastDims } from '../dims';
import type { ShapeContext } from '../shape-rule';
import { knownElements, staticShape, type ValueShape } from '../value-shape';
import { broadcastValues, roundToType } from '../values';

/** True when the node has a non-empty input at `index`. */
export function hasInput(node: Node, index: number): boolean {
  return !!node.inputs[index];
}

/**
 * An int list given as input `index` (newer opsets) or attribute `attr` (older ones):
 * undefined when neither is present, null when the input is present but its value is unknown.
 */
export function intsArg(
  node: Node,
  inputs: readonly (ValueShape | undefined)[],
  index: number,
  attr?: string,
): readonly number[] | null | undefined {
  if (hasInput(node, index)) return inputs[index]?.value ?? null;
  return attr ? attrInts(node, attr) : undefined;
}

/**
 * Like {@link intsArg} but accepts symbolic contents (for shape-valued inputs).
 */
export function dimsArg(
  node: Node,
  inputs: readonly (ValueShape | undefined)[],
  index: number,
  attr?: string,
): readonly Dim[] | null | undefined {
  if (hasInput(node, index)) return knownElements(inputs[index]) ?? null;
  return attr ? attrInts(node, attr) : undefined;
}

/** A value with the same shape as `x` and the given (or x's) data type, without contents. */
export function sameShape(x: ValueShape | undefined, dataType?: number): ValueShape | undefined {
  if (!x && dataType === undefined) return undefined;
  return { dataType: dataType ?? x?.dataType ?? 0, shape: x?.shape };
}

/** Number of elements of a shape when static, else undefined. */
export function countOf(shape: readonly Dim[] | undefined): number | undefined {
  if (!shape) return undefined;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** Builds a value shape with contents when every element is a number, symbolic contents otherwise. */
export function withContents(
  dataType: number,
  shape: readonly Dim[],
  contents: readonly Dim[] | undefined,
): ValueShape {
  if (!contents) return { dataType, shape };
  if (contents.every((c) => typeof c === 'number')) return { dataType, shape, value: contents as number[] };
  if (contents.some((c) => c !== null)) return { dataType, shape, symbolic: contents };
  return { dataType, shape };
}

/** Options of {@link elementwise}. */
export interface ElementwiseOptions {
  /** Output type; by default the type of the first input with a known type (from `typeFrom`). */
  outType?: number;
  /** Index of the input whose type the output takes (default 0). */
  typeFrom?: number;
  /** Computes one output element from input elements (numbers). */
  fn?: (...xs: number[]) => number;
  /** Computes one output element when some input element is symbolic; null when unknown. */
  symbolic?: (...xs: Dim[]) => Dim;
}

/**
 * Shape (numpy broadcasting), type and — when inputs are known and small — contents of an
 * elementwise op over all of the node's inputs.
 */
export function elementwise(
  node: Node,
  inputs: readonly (ValueShape | undefined)[],
  ctx: ShapeContext,
  opts: ElementwiseOptions = {},
): ValueShape | undefined {
  const present = node.inputs.map((name, i) => ({ name, v: inputs[i], i })).filter((p) => p.name);
  const typeSource = inputs[opts.typeFrom ?? 0] ?? present.find((p) => p.v && p.v.dataType)?.v;
  const dataType = opts.outType ?? typeSource?.dataType ?? 0;
  if (present.some((p) => !p.v?.shape)) return { dataType };
  const shape = broadcastDims(
    present.map((p) => p.v!.shape!),
    (field, reason) => ctx.fail(field, reason),
    (i) => `input[${present[i].i}]`,
  );
  const outCount = countOf(shape);
  if (!opts.fn || !ctx.wantsValue(outCount)) return { dataType, shape };
  const statics = present.map((p) => staticShape(p.v));
  if (statics.some((s) => !s)) return { dataType, shape };
  if (present.every((p) => p.v!.value)) {
    const fn = opts.fn;
    const values = broadcastValues(
      present.map((p, k) => ({ values: p.v!.value!, shape: statics[k]! })),
      shape as number[],
      (...xs: number[]) => roundToType(fn(...xs), dataType),
    );
    return { dataType, shape, value: values };
  }
  if (opts.symbolic && present.every((p) => knownElements(p.v))) {
    const numeric = opts.fn;
    const sym = opts.symbolic;
    const contents = broadcastValues(
      present.map((p, k) => ({ values: knownElements(p.v)!, shape: statics[k]! })),
      shape as number[],
      (...xs: Dim[]): Dim =>
        xs.every((x) => typeof x === 'number')
          ? roundToType(numeric(...(xs as number[])), dataType)
          : sym(...xs),
    );
    return withContents(dataType, shape, contents);
  }
  return { dataType, shape };
}
