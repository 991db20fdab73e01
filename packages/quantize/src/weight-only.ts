import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { toFloat32, type Graph, type Node, type Tensor } from '@metacompress/ir';
import { Names } from './graph-names';
import { encodeFp16Weight, encodeQuantizedWeight, type EncodedWeight } from './weight-storage';
import {
  checkFinite,
  dequantizeWeight,
  quantizeWeight,
  type WeightRangeMethod,
  type WeightScheme,
} from './weight-quantizers';

/** One weight to store in fewer bits. */
export interface WeightOnlyEntry {
  /** Initializer name. */
  weight: string;
  scheme: WeightScheme;
  /** Channel axis of per-channel scales. */
  axis: number;
  /** Range of affine schemes (default `minmax` for 8 bits, `mse` below). */
  method?: WeightRangeMethod;
  /** One scale per block of this many elements (4-bit schemes, channel axis 0). */
  blockSize?: number;
  /** Node reading the weight, named in errors. */
  node?: Node;
}

/** What {@link quantizeWeightsOnly} did to one weight. */
export interface WeightOnlyRecord {
  weight: string;
  scheme: WeightScheme;
  /** Storage format (`int8`, `packed4`, `packed2`, `packed1`, `fp16`, …). */
  format: string;
  bytesBefore: number;
  bytesAfter: number;
  /** Root-mean-square error of the stored weights relative to the RMS of the weights. */
  relativeError: number;
}

/**
 * Weight-only quantization: each weight is stored in fewer bits plus constant-only decode nodes
 * that rebuild it as float32 under its own name (see {@link encodeQuantizedWeight}). Compute stays
 * float (onnxruntime folds the decoding once at load), so the model is never slower; the file
 * shrinks about 4× (int8), 8× (int4), 16× (ternary) or 32× (binary) for the weights. Pure.
 *
 * @example
 * const { graph: small } = quantizeWeightsOnly(graph, [{ weight: 'fc1.weight', scheme: 'int4', axis: 0 }]);
 */
export function quantizeWeightsOnly(
  graph: Graph,
  entries: readonly WeightOnlyEntry[],
): { graph: Graph; records: WeightOnlyRecord[] } {
  if (entries.length === 0) return { graph, records: [] };
  const opset = graph.model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
  const packed = entries.find((e) => ['int4', 'uint4', 'ternary', 'binary'].includes(e.scheme));
  if (packed && opset < 11) {
    throw new MetacompressError(
      ErrorCodes.UNSUPPORTED_OP,
      `${packed.scheme} weights are unpacked with BitShift, which needs opset 11; the graph imports opset ${opset} (convert it first, or use 8 or 16 bits)`,
      { node: packed.node?.name, field: 'opset_import' },
    );
  }
  const names = new Names(graph);
  const inits = new Map(graph.initializers.map((t) => [t.name, t] as const));
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const replaced = new Set<string>();
  const newInits: Tensor[] = [];
  const decode: Node[] = [];
  const records: WeightOnlyRecord[] = [];
  for (const e of entries) {
    const where = { node: e.node?.name, opType: e.node?.opType, field: e.weight };
    const t = inits.get(e.weight);
    if (!t || inputs.has(e.weight)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `'${e.weight}' is not a constant initializer`,
        where,
      );
    }
    if (replaced.has(e.weight))
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `weight '${e.weight}' is listed twice`, where);
    const values = toFloat32(t);
    checkFinite(values, where);
    let enc: EncodedWeight;
    let approx: Float32Array;
    if (e.scheme === 'fp16') {
      enc = encodeFp16Weight(t.name, values, t.dims, names);
      approx = toFloat32(enc.initializers[0]);
    } else {
      const q = quantizeWeight(values, t.dims, {
        scheme: e.scheme,
        axis: e.axis,
        method: e.method ?? (e.scheme === 'int8' || e.scheme === 'uint8' ? 'minmax' : 'mse'),
        ...(e.blockSize ? { blockSize: e.blockSize } : {}),
        name: e.weight,
      });
      enc = encodeQuantizedWeight(t.name, q, names);
      approx = dequantizeWeight(q);
    }
    replaced.add(e.weight);
    newInits.push(...enc.initializers);
    decode.push(...enc.nodes);
    records.push({
      weight: e.weight,
      scheme: e.scheme,
      format: enc.format,
      bytesBefore: t.raw?.byteLength ?? 0,
      bytesAfter: enc.bytes,
      relativeError: relativeRms(values, approx),
    });
  }
  const out: Graph = {
    ...graph,
    nodes: [...decode, ...graph.nodes],
    initializers: [...graph.initializers.filter((t) => !replaced.has(t.name)), ...newInits],
  };
  return { graph: out, records };
}

/**
 * `‖a − b‖ / ‖a‖` (0 when `a` is all zeros and `b` equals it).
 *
 * @example
 * relativeRms(Float32Array.of(1, 1), Float32Array.of(1, 0)); // ≈ 0.707
 */
export function relativeRms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2;
  }
  return den === 0 ? (num === 0 ? 0 : Infinity) : Math.sqrt(num / den);
}
