import type { Node } from '../graph';
import type { ValueShape } from './value-shape';

/**
 * What a shape rule may ask about the node it is looking at.
 *
 * @example
 * const rule: ShapeRule = (node, [x], ctx) => {
 *   if (x?.shape && x.shape.length !== 4) ctx.fail('input[0]', 'expected a 4-D input');
 *   return [x && { dataType: x.dataType, shape: x.shape }];
 * };
 */
export interface ShapeContext {
  /** Opset version of the node's domain (for the default domain, the model's ONNX opset). */
  readonly opset: number;
  /** Opset version imported for any domain, or undefined when the model does not import it. */
  opsetOf(domain: string): number | undefined;
  /** The node's name, or `#index (OpType)` when it has none. */
  readonly label: string;
  /** The model file, when the caller named it (used in error details). */
  readonly file?: string;
  /** Largest element count for which rules compute `value` contents. */
  readonly maxValueElements: number;
  /** The declared (value_info / graph output) type of the node's `index`-th output, if any. */
  declared(index: number): ValueShape | undefined;
  /** True when a tensor of `count` elements is small enough to carry its contents. */
  wantsValue(count: number | undefined): boolean;
  /** Throws `MC_SHAPE_MISMATCH` naming this node, its op type, the file and `field`. */
  fail(field: string, reason: string): never;
}

/**
 * Computes the output shapes (and, for small constant tensors, contents) of one node from what is
 * known about its inputs. Entries of `inputs` are undefined for omitted optional inputs and for
 * inputs nothing is known about. Return one entry per output; undefined means "unknown" (the
 * declared value_info is then used when present).
 *
 * @example
 * registerShapeRule('MyRelu', (node, [x]) => [x && { dataType: x.dataType, shape: x.shape }], 'com.example');
 */
export type ShapeRule = (
  node: Node,
  inputs: readonly (ValueShape | undefined)[],
  ctx: ShapeContext,
) => readonly (ValueShape | undefined)[];
