import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { isFloatType, type Node } from '@metacompress/ir';
import type { Tf } from './layout';
import { channelsLastTensor, logicalTensor, shapeOf, type RuntimeValue } from './runtime-value';

/** A running-statistics update produced by a BatchNormalization in batch-statistics mode. */
export interface BatchNormUpdate {
  /** Initializer names of the running mean and variance. */
  mean: string;
  var: string;
  /** Batch mean and (unbiased) variance, `[C]`. */
  batchMean: tfc.Tensor1D;
  batchVar: tfc.Tensor1D;
  /** ONNX momentum: running = running·momentum + batch·(1 − momentum). */
  momentum: number;
}

/** What one forward pass collects besides its outputs. */
export interface ForwardState {
  /** Running-statistics updates, applied by the caller after the step (see `Executor.applyBatchNormUpdates`). */
  batchNormUpdates: BatchNormUpdate[];
  /** Seed source for Dropout in training mode. */
  nextSeed(): number;
}

/** Settings a forward pass runs under. */
export interface ForwardSettings {
  training: boolean;
  /** `batch`: BatchNormalization uses batch statistics while training (and records running-stat updates); `frozen` (default): running statistics always. */
  batchNorm: 'frozen' | 'batch';
  /** Apply Dropout while training (default true). */
  dropout: boolean;
}

/**
 * What an op handler sees: the node, its inputs as runtime values, and helpers to read them in
 * the layout the handler wants. Handlers return their outputs (in any layout) and never dispose
 * inputs; the executor runs each forward pass inside `tf.tidy`.
 *
 * @example
 * const relu: OpHandler = (ctx) => tensorValue(ctx.tf.relu(ctx.tensor(0)), layoutOf(ctx.input(0)));
 */
export interface OpContext {
  readonly tf: Tf;
  readonly node: Node;
  /** The node's name, or `#index (OpType)` when it has none. */
  readonly label: string;
  /** The ONNX opset of the node's domain. */
  readonly opset: number;
  readonly settings: ForwardSettings;
  readonly state: ForwardState;
  readonly inputs: readonly (RuntimeValue | undefined)[];
  /** Initializer names of the inputs ('' when an input is not an initializer). */
  readonly inputInitializers: readonly string[];
  /** True when input `i` is given. */
  has(i: number): boolean;
  /** Input `i` (throws `MC_MODEL_INVALID` when missing). */
  input(i: number): RuntimeValue;
  /** Input `i` as a float tensor in its current layout (no copy). */
  tensor(i: number): tfc.Tensor;
  /** Input `i` as a tensor in logical (ONNX) order. */
  logical(i: number): tfc.Tensor;
  /** Input `i` channels-last (rank ≥ 3). */
  channelsLast(i: number): tfc.Tensor;
  /** Logical shape of input `i`. */
  shape(i: number): number[];
  /** Input `i` read on the host (constants directly; computed tensors are downloaded), or undefined when absent. */
  numbers(i: number): number[] | undefined;
  /** True when input `i` is a host constant. */
  isConst(i: number): boolean;
  /** Throws `MC_UNSUPPORTED_OP` naming the node. */
  unsupported(message: string, field?: string): never;
  /** Throws `MC_MODEL_INVALID` naming the node. */
  invalid(message: string, field?: string): never;
}

/** A tfjs implementation of an op: returns one value per node output (or a single value). */
export type OpHandler = (ctx: OpContext) => RuntimeValue | (RuntimeValue | undefined)[];

/** The context of one node (methods on the prototype: nothing is allocated per call but the object). */
class NodeContext implements OpContext {
  constructor(
    readonly tf: Tf,
    readonly node: Node,
    readonly label: string,
    readonly opset: number,
    readonly inputs: readonly (RuntimeValue | undefined)[],
    readonly inputInitializers: readonly string[],
    readonly settings: ForwardSettings,
    readonly state: ForwardState,
  ) {}

  private fail(code: string, message: string, field?: string): never {
    throw new MetacompressError(code, `${this.node.opType} node '${this.label}': ${message}`, {
      node: this.label,
      opType: this.node.opType,
      ...(field ? { field } : {}),
    });
  }

  has(i: number): boolean {
    return this.inputs[i] !== undefined;
  }

  input(i: number): RuntimeValue {
    return this.inputs[i] ?? this.fail(ErrorCodes.MODEL_INVALID, `input ${i} is missing`, `inputs[${i}]`);
  }

  private asFloat(t: tfc.Tensor): tfc.Tensor {
    return t.dtype === 'float32' ? t : this.tf.cast(t, 'float32');
  }

  tensor(i: number): tfc.Tensor {
    const v = this.input(i);
    return v.kind === 'tensor' ? v.tensor : this.asFloat(logicalTensor(this.tf, v));
  }

  logical(i: number): tfc.Tensor {
    const v = this.input(i);
    const t = logicalTensor(this.tf, v);
    return v.kind === 'const' && isFloatType(v.dataType) ? this.asFloat(t) : t;
  }

  channelsLast(i: number): tfc.Tensor {
    return channelsLastTensor(this.tf, this.input(i));
  }

  shape(i: number): number[] {
    return shapeOf(this.input(i));
  }

  numbers(i: number): number[] | undefined {
    const v = this.inputs[i];
    if (!v) return undefined;
    if (v.kind === 'const') return Array.from(v.values);
    return Array.from(logicalTensor(this.tf, v).dataSync());
  }

  isConst(i: number): boolean {
    return this.inputs[i]?.kind === 'const';
  }

  unsupported(message: string, field?: string): never {
    return this.fail(ErrorCodes.UNSUPPORTED_OP, message, field);
  }

  invalid(message: string, field?: string): never {
    return this.fail(ErrorCodes.MODEL_INVALID, message, field);
  }
}

/**
 * Builds the context of one node (the executor does this for every node it runs).
 *
 * @example
 * const ctx = createOpContext(tf, node, 'relu1', 13, [x], [''], settings, state);
 * const y = BUILTIN_OPS.Relu(ctx);
 */
export function createOpContext(
  tf: Tf,
  node: Node,
  label: string,
  opset: number,
  inputs: readonly (RuntimeValue | undefined)[],
  inputInitializers: readonly string[],
  settings: ForwardSettings,
  state: ForwardState,
): OpContext {
  return new NodeContext(tf, node, label, opset, inputs, inputInitializers, settings, state);
}
