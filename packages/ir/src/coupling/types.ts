import type { Dim } from '../graph';
import type { ChannelRule } from './channel-rule';

/**
 * What a weight slice is to the group: the producing weights (`output`), the consuming weights
 * (`input`), a producer's `bias`, BatchNormalization/InstanceNormalization parameters (`bn`), a
 * per-channel operand of an elementwise op or LayerNormalization (`param`), or a per-axis
 * QuantizeLinear/DequantizeLinear scale or zero point (`qparam`).
 */
export type ChannelSliceRole = 'output' | 'input' | 'bias' | 'bn' | 'param' | 'qparam';

/**
 * One constant tensor slice that shrinks with a group. Channel `j` of the group (0 ≤ j < `length`)
 * owns the elements `[offset + j·stride, offset + (j+1)·stride)` along `axis` of `tensor`.
 * `stride` is 1 except where a Flatten (or a flattening Reshape) feeds a Gemm/MatMul: there each
 * channel owns `stride` = H×W consecutive input features.
 *
 * @example
 * // The second 1×1 conv of a block consumes the group's 16 channels as its input channels:
 * const s: ChannelSlice = { tensor: 'conv2.weight', node: 'conv2', axis: 1, offset: 0, length: 16, stride: 1, role: 'input' };
 */
export interface ChannelSlice {
  /** An initializer name, or the output name of a `Constant` node. */
  tensor: string;
  /** The node (label) that reads the tensor. */
  node: string;
  axis: number;
  /** Element index along `axis` of the group's first channel. */
  offset: number;
  /** Number of channels, always the group's `channels`. */
  length: number;
  /** Elements per channel along `axis`. */
  stride: number;
  role: ChannelSliceRole;
}

/**
 * One activation (a value computed at run time) that carries the group's channels, with the same
 * offset/stride convention as {@link ChannelSlice}. Useful to place channel masks (soft pruning)
 * or to read activation statistics per channel.
 *
 * @example
 * const a: ActivationSlice = { value: 'relu1_out', axis: 1, offset: 0, length: 16, stride: 1 };
 */
export interface ActivationSlice {
  value: string;
  axis: number;
  offset: number;
  length: number;
  stride: number;
}

/**
 * A set of channels that must be removed together (a "group" in DepGraph terms): removing group
 * channel `j` removes channel `j` of every slice. A ResNet stage is one group; a conv followed by
 * BN and ReLU feeding another conv is one group.
 *
 * @example
 * const g: CouplingGroup = analyzeCoupling(graph)[0];
 * g.id; // 'conv1'
 * g.slices.filter((s) => s.role === 'output').map((s) => s.tensor); // ['conv1.weight']
 */
export interface CouplingGroup {
  /** Stable and readable: the name of the first producing node (or its output), with a `[start:end]` suffix when the group holds only part of that node's channels. */
  id: string;
  channels: number;
  /** Nodes (labels) whose output channels are the group's channels. */
  producers: string[];
  /** Nodes (labels) that read the group's channels as input channels of their weights. */
  consumers: string[];
  /** Every node (label) whose weights, parameters or attributes change when the group shrinks. */
  nodes: string[];
  slices: ChannelSlice[];
  activations: ActivationSlice[];
  prunable: boolean;
  /** Why the group cannot be pruned, naming the node(s) responsible. */
  reason?: string;
  /** Fewest channels the group may keep. */
  minChannels: number;
}

/**
 * Shapes (and small known contents) of values, by name — what `inferShapes` returns.
 *
 * @example
 * const shapes: KnownShapes = inferShapes(graph, { batchSize: 1 });
 * analyzeCoupling(graph, { shapes });
 */
export type KnownShapes = ReadonlyMap<
  string,
  { shape?: readonly Dim[]; value?: readonly number[]; symbolic?: readonly Dim[] }
>;

/**
 * Options of {@link analyzeCoupling} and {@link removeChannels}.
 *
 * @example
 * analyzeCoupling(graph, { rules: { MyGelu: 'elementwise' } });
 */
export interface CouplingOptions {
  /** Shapes of values (e.g. `inferShapes(graph)`), to avoid inferring twice; otherwise `inferShapes` runs (declared shapes fill the gaps). */
  shapes?: KnownShapes;
  /** Shapes of graph inputs for shape inference, by input name. */
  inputShapes?: Readonly<Record<string, readonly Dim[]>>;
  /** Batch size used for shape inference when inputs have a symbolic batch dim. */
  batchSize?: number;
  /** Rules for this call only, by op type (`'Op'` or `'domain:Op'`), overriding registered ones. */
  rules?: Readonly<Record<string, ChannelRule>>;
}
