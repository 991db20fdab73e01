import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Attribute, Dim, Node } from '../graph';
import type { Tensor } from '../tensor';
import type { ChannelSliceRole } from './types';

/**
 * The channel axis carried by one value during coupling analysis: `atoms[p]` identifies the
 * p-th channel along `axis` (atoms that end up coupled are removed together). When a Flatten has
 * merged the channel axis with the spatial axes, each channel owns `span.value` consecutive
 * elements along `axis` (0 while not yet known: a Gemm/MatMul consumer resolves it from its weight).
 * Treat as read-only; make new ones with the context's helpers.
 *
 * @example
 * const x = ctx.input(0); // { atoms: Int32Array(16), axis: 1, rank: 4, span: { value: 1 } }
 * if (x) ctx.setOutput(0, ctx.view(x, 3, 4)); // same channels, now on axis 3
 */
export interface ChannelValue {
  readonly atoms: Int32Array;
  readonly axis: number;
  readonly rank: number;
  readonly span: SpanRef;
}

/**
 * Elements per channel along the axis; shared by values derived from one Flatten.
 *
 * @example
 * const flat = ctx.view(x, 1, 2, { value: 49 }); // [N, C, 7, 7] flattened: 49 features per channel
 */
export interface SpanRef {
  value: number;
}

/**
 * A constant weight as a rule sees it: an initializer (or Constant output), possibly behind a DequantizeLinear.
 *
 * @example
 * const w = ctx.weight(1);
 * if (w) ctx.addWeightSlice(1, 0, ctx.produce(w.tensor.dims[0], 1, 4), 'output');
 */
export interface ConstantWeight {
  /** Name of the constant tensor that holds the elements (the quantized one behind a DequantizeLinear). */
  name: string;
  tensor: Tensor;
  /** Set when the weight is `DequantizeLinear(name, scale, zeroPoint)`. */
  dequantize?: { node: Node; scale: string; zeroPoint?: string; axis: number; perAxis: boolean };
}

/**
 * What a node rewrite sees while `removeChannels` runs: which channels of a value survive,
 * and how to change the node (attributes, constant inputs).
 *
 * @example
 * ctx.onRemove((e) => e.setAttribute('group', { type: 'int', value: e.keptCount(x) }));
 */
export interface ChannelEditContext {
  /** The node as rewritten so far. */
  readonly node: Node;
  /** Positions (along the value's axis, in channels) that are kept. */
  keptPositions(value: ChannelValue): number[];
  /** Number of kept channels of a value. */
  keptCount(value: ChannelValue): number;
  /** Kept channels × span: the new extent of the value's axis. */
  keptWidth(value: ChannelValue): number;
  /** Sets (or with `undefined` removes) an attribute. */
  setAttribute(name: string, value: Attribute | undefined): void;
  /** Replaces constant input `index` by a new tensor (the initializer is rewritten, or a fresh one is made when shared). */
  setInputConstant(index: number, tensor: Tensor): void;
  /** The constant behind input `index`, if any. */
  inputConstant(index: number): Tensor | undefined;
}

/**
 * A rewrite a rule registers for `removeChannels`: it adapts the node's attributes/constants.
 *
 * @example
 * const edit: ChannelEdit = (e) => e.setInputConstant(1, int64Tensor('shape', [0, e.keptWidth(out)]));
 */
export type ChannelEdit = (ctx: ChannelEditContext) => void;

/**
 * What a channel rule may ask and do for the node it is looking at. Untracked values (constants,
 * graph inputs, results of ops that end channel tracking) have no {@link ChannelValue}.
 *
 * @example
 * const gelu: ChannelRule = (ctx) => {
 *   const x = ctx.input(0);
 *   if (x) ctx.setOutput(0, x);
 * };
 */
export interface ChannelRuleContext {
  readonly node: Node;
  /** Label of the node for messages. */
  readonly label: string;
  /** Opset version of the node's domain. */
  readonly opset: number;
  /** Channels carried by input `i`, or undefined when untracked or absent. */
  input(i: number): ChannelValue | undefined;
  /** The constant tensor of input `i` (initializer or Constant output), if it is one. */
  constant(i: number): Tensor | undefined;
  /** The constant weight of input `i`, looking through a DequantizeLinear of a constant. */
  weight(i: number): ConstantWeight | undefined;
  /** Known shape of input `i` (from tracking, shape inference or declarations). */
  shape(i: number): readonly Dim[] | undefined;
  /** Known contents of small integer input `i` (constant, or computed from shapes, e.g. `['N', -1]`). */
  knownElements(i: number): readonly Dim[] | undefined;
  /** Known shape of output `i`. */
  outputShape(i: number): readonly Dim[] | undefined;
  /** New channels produced by this node (a new group candidate). */
  produce(count: number, axis: number, rank: number): ChannelValue;
  /** Same channels seen along another axis/rank/span (e.g. after Transpose, Squeeze, Flatten). */
  view(value: ChannelValue, axis: number, rank: number, span?: SpanRef): ChannelValue;
  /** Channels `[start, start+count)` of a value (Split). */
  sliceOf(value: ChannelValue, start: number, count: number): ChannelValue;
  /** The concatenation of values along their (common) axis (Concat). */
  concat(values: readonly ChannelValue[], axis: number, rank: number, span: SpanRef): ChannelValue;
  /** Channels standing for an untracked operand that can never be pruned (`reason` explains why). */
  opaque(count: number, axis: number, rank: number, reason: string): ChannelValue;
  /** Couples two values channel by channel (same count and span, else both are blocked). */
  couple(a: ChannelValue, b: ChannelValue): void;
  /** Marks every channel of a value unprunable. */
  block(value: ChannelValue, reason: string): void;
  /** The output `i` carries these channels. */
  setOutput(i: number, value: ChannelValue): void;
  /** Records that constant input `i` has `value`'s channels along `axis`; blocks them when that cannot be sliced. */
  addSlice(i: number, axis: number, value: ChannelValue, role: ChannelSliceRole): void;
  /** Like `addSlice` for a weight (see `weight`): slices the constant and a per-axis dequantize scale/zero point too. */
  addWeightSlice(i: number, axis: number, value: ChannelValue, role: ChannelSliceRole): void;
  /** Registers how this node changes when channels are removed. */
  onRemove(edit: ChannelEdit): void;
}

/**
 * How an op propagates channels: `'elementwise'` (broadcasting op: every tracked input is coupled
 * channel by channel, constant per-channel operands are sliced, outputs carry the channels),
 * `'unary'` (only input 0 carries channels; other inputs are scalars; outputs carry input 0's
 * channels), `'sink'` (consumes channels whatever their number, e.g. Shape), `'blocking'` (the
 * default for unknown ops: channels reaching it cannot be pruned), or a function.
 * Torch-Pruning (Fang et al., "DepGraph: Towards Any Structural Pruning", CVPR 2023) plugs custom
 * layers in the same way.
 *
 * @example
 * registerChannelRule('FastGelu', 'unary', 'com.microsoft');
 */
export type ChannelRule = 'elementwise' | 'unary' | 'sink' | 'blocking' | ((ctx: ChannelRuleContext) => void);

const registry = new Map<string, ChannelRule>();

function keyOf(opType: string, domain = ''): string {
  const d = domain === 'ai.onnx' ? '' : domain;
  return d ? `${d}:${opType}` : opType;
}

/**
 * Teaches coupling analysis how a (custom) op propagates channels. Overrides built-in rules.
 * Returns a function that removes the registration.
 *
 * @example
 * const undo = registerChannelRule('Swish', 'unary');
 * analyzeCoupling(graph); // Swish now passes channels through
 * undo();
 */
export function registerChannelRule(opType: string, rule: ChannelRule, domain = ''): () => void {
  if (!opType || typeof opType !== 'string') {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'registerChannelRule needs an op type', {
      field: 'opType',
    });
  }
  if (typeof rule !== 'function' && !['elementwise', 'unary', 'sink', 'blocking'].includes(rule)) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `unknown channel rule '${String(rule)}'`, {
      opType,
      field: 'rule',
    });
  }
  const key = keyOf(opType, domain);
  const previous = registry.get(key);
  registry.set(key, rule);
  return () => {
    if (registry.get(key) !== rule) return;
    if (previous === undefined) registry.delete(key);
    else registry.set(key, previous);
  };
}

/**
 * The registered rule of an op, if any (built-in rules are looked up separately).
 *
 * @example
 * registeredChannelRule('Swish'); // 'unary' after registerChannelRule('Swish', 'unary')
 */
export function registeredChannelRule(opType: string, domain = ''): ChannelRule | undefined {
  return registry.get(keyOf(opType, domain));
}

/** Key used by rule tables: `'Op'` for the default domain, `'domain:Op'` otherwise. */
export function channelRuleKey(opType: string, domain = ''): string {
  return keyOf(opType, domain);
}
