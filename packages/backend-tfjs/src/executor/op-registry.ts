import type { OpHandler } from './op-context';
import { conv, convTranspose } from './ops/conv';
import { BINARY_OPS, UNARY_OPS, clip } from './ops/elementwise';
import { gemm, matMul } from './ops/linear';
import { batchNormalization, instanceNormalization, layerNormalization } from './ops/normalization';
import { averagePool, globalAveragePool, globalMaxPool, lrn, maxPool } from './ops/pool';
import { dequantizeLinear, quantizeLinear } from './ops/quantize';
import { ARG_OPS, REDUCE_OPS, SOFTMAX_OPS } from './ops/reduce';
import {
  cast,
  concat,
  constant,
  constantOfShape,
  dropout,
  expand,
  flatten,
  gather,
  identity,
  pad,
  range,
  reshape,
  shape,
  size,
  slice,
  split,
  squeeze,
  tile,
  transpose,
  unsqueeze,
} from './ops/shape-ops';

/**
 * The ops every executor runs, by ONNX op type (default domain).
 *
 * @example
 * const relu = BUILTIN_OPS.Relu; // reuse a built-in handler inside a custom one
 */
export const BUILTIN_OPS: Readonly<Record<string, OpHandler>> = Object.freeze({
  ...UNARY_OPS,
  ...BINARY_OPS,
  ...REDUCE_OPS,
  ...SOFTMAX_OPS,
  ...ARG_OPS,
  Clip: clip,
  Conv: conv,
  ConvTranspose: convTranspose,
  Gemm: gemm,
  MatMul: matMul,
  BatchNormalization: batchNormalization,
  InstanceNormalization: instanceNormalization,
  LayerNormalization: layerNormalization,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  LRN: lrn,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  Identity: identity,
  Dropout: dropout,
  Constant: constant,
  Shape: shape,
  Size: size,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Gather: gather,
  Cast: cast,
  Expand: expand,
  Tile: tile,
  ConstantOfShape: constantOfShape,
  Range: range,
});

const registered = new Map<string, OpHandler>();

function key(opType: string, domain = ''): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
}

/**
 * Teaches every executor built afterwards an op (or overrides a built-in one), as a plugin for
 * custom layers would. `domain` is the node's domain ('' for ONNX). Per-executor handlers go in
 * `buildExecutor`'s `ops` option instead.
 *
 * @example
 * registerTfjsOp('MyGelu', (ctx) => tensorValue(ctx.tf.mul(ctx.tensor(0), ctx.tf.sigmoid(ctx.tf.mul(ctx.tensor(0), 1.702))), layoutOf(ctx.input(0))), 'com.example');
 */
export function registerTfjsOp(opType: string, handler: OpHandler, domain = ''): void {
  registered.set(key(opType, domain), handler);
}

/**
 * The handler for an op: per-call handlers first, then registered ones, then built-ins (default
 * domain, and `com.microsoft` ops that share an ONNX name such as Gelu).
 *
 * @example
 * tfjsOpHandler('Conv')?.name; // 'conv'
 */
export function tfjsOpHandler(
  opType: string,
  domain = '',
  extra?: Readonly<Record<string, OpHandler>>,
): OpHandler | undefined {
  const k = key(opType, domain);
  const builtin =
    domain === '' || domain === 'ai.onnx' || (domain === 'com.microsoft' && opType === 'Gelu')
      ? BUILTIN_OPS[opType]
      : undefined;
  return extra?.[k] ?? registered.get(k) ?? builtin;
}

/**
 * Op types the executor runs out of the box (default domain).
 *
 * @example
 * supportedTfjsOps().includes('ConvTranspose'); // true
 */
export function supportedTfjsOps(): string[] {
  return Object.keys(BUILTIN_OPS).sort();
}
