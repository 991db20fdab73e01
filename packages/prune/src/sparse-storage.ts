import { ErrorCodes, MetacompressError } from '@metacompress/core';
import {
  DataType,
  decodeTensorProto,
  onnxTypes,
  toFloat32,
  toNumbers,
  createTensor,
  type Graph,
  type Tensor,
} from '@metacompress/ir';

/**
 * An ONNX `SparseTensorProto` as the IR carries it in `graph.sparseInitializers` (camelCase
 * protobuf fields): `values` holds the non-zero elements (named like the dense tensor), `indices`
 * their linear positions (int64, ascending), `dims` the dense shape.
 */
export interface SparseTensorObject {
  values: { name: string; dataType: number; dims: number[]; rawData: Uint8Array };
  indices: { dataType: number; dims: number[]; rawData: Uint8Array };
  dims: number[];
}

/** Options of {@link storeSparse}. */
export interface StoreSparseOptions {
  /** Only these initializers (default: every float32 initializer). */
  tensors?: readonly string[];
  /**
   * Least fraction of zeros for a tensor to be stored sparse (default: whenever it makes the tensor
   * smaller, i.e. more than 2/3 zeros — a sparse element costs 4 bytes of value + 8 of int64 index).
   */
  minSparsity?: number;
}

/**
 * Fraction of exact zeros in a float tensor.
 *
 * @example
 * sparsityOf(createTensor('w', DataType.FLOAT, [4], [0, 1, 0, 0])); // 0.75
 */
export function sparsityOf(tensor: Tensor): number {
  const v = toFloat32(tensor);
  let zeros = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
  return v.length ? zeros / v.length : 0;
}

function int64Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]);
  return new Uint8Array(out.buffer);
}

/**
 * Stores zero-heavy float initializers as ONNX `sparse_initializer`s (values + int64 linear
 * indices), so unstructured or N:M sparsity pays off in file size; onnxruntime (web and node)
 * expands them back to dense tensors when it loads the model. Only initializers that no feed can
 * override and that get smaller are converted. Pure: returns a new graph.
 *
 * The IR's analyses (cost, coupling, shapes) see only dense `initializers`: store sparse as the
 * last step before saving, and call {@link densifySparse} after loading such a file.
 *
 * @example
 * const file = encodeOnnx(storeSparse(sparseGraph)); // smaller than encodeOnnx(sparseGraph)
 */
export function storeSparse(graph: Graph, options: StoreSparseOptions = {}): Graph {
  const wanted = options.tensors ? new Set(options.tensors) : undefined;
  const inputs = graph.model.irVersion >= 4 ? new Set(graph.inputs.map((i) => i.name)) : new Set<string>();
  const minSparsity = options.minSparsity ?? 0;
  const kept: Tensor[] = [];
  const sparse: SparseTensorObject[] = [];
  for (const t of graph.initializers) {
    if (
      t.dataType !== DataType.FLOAT ||
      !t.raw ||
      (wanted && !wanted.has(t.name)) ||
      inputs.has(t.name) ||
      t.dims.length === 0
    ) {
      kept.push(t);
      continue;
    }
    const v = toFloat32(t);
    const positions: number[] = [];
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) positions.push(i);
    const sparsity = v.length ? 1 - positions.length / v.length : 0;
    if (positions.length * 12 >= v.length * 4 || sparsity < minSparsity || positions.length === 0) {
      kept.push(t);
      continue;
    }
    const values = new Float32Array(positions.length);
    positions.forEach((p, i) => (values[i] = v[p]));
    sparse.push({
      values: {
        name: t.name,
        dataType: DataType.FLOAT,
        dims: [positions.length],
        rawData: new Uint8Array(values.buffer),
      },
      indices: { dataType: DataType.INT64, dims: [positions.length], rawData: int64Bytes(positions) },
      dims: [...t.dims],
    });
  }
  if (sparse.length === 0) return graph;
  const irVersion = Math.max(graph.model.irVersion, 6);
  return {
    ...graph,
    initializers: kept,
    sparseInitializers: [...(graph.sparseInitializers ?? []), ...sparse],
    model: irVersion === graph.model.irVersion ? graph.model : { ...graph.model, irVersion },
  };
}

function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return high * 2 ** 32 + (low >>> 0);
  }
  return Number(v);
}

/**
 * Turns every `sparse_initializer` of a graph (as {@link storeSparse} writes them, or as decoded
 * from any ONNX file: linear `[NNZ]` or coordinate `[NNZ, rank]` indices) back into a dense
 * initializer, so the IR's analyses and rewrites see the weights. Pure.
 *
 * @example
 * const graph = densifySparse(await loadOnnx('sparse.onnx'));
 */
export function densifySparse(graph: Graph): Graph {
  const list = graph.sparseInitializers ?? [];
  if (list.length === 0) return graph;
  const { TensorProto } = onnxTypes();
  const dense: Tensor[] = list.map((raw, k) => {
    const s = raw as { values?: object; indices?: object; dims?: unknown[] };
    if (!s.values || !s.indices) {
      throw new MetacompressError(
        ErrorCodes.MODEL_INVALID,
        `sparse initializer #${k} has no values or no indices`,
        { field: `sparse_initializer[${k}]` },
      );
    }
    const values = decodeTensorProto(TensorProto.encode(s.values).finish());
    const indices = decodeTensorProto(TensorProto.encode(s.indices).finish());
    const dims = (s.dims ?? []).map(asNumber);
    const count = dims.reduce((a, b) => a * b, 1);
    const where = { field: `sparse_initializer '${values.name}'` };
    const nnz = values.dims[0] ?? 0;
    const idx = toNumbers(indices);
    const rank = dims.length;
    const coordinate = indices.dims.length === 2;
    if (
      values.dims.length !== 1 ||
      (coordinate ? indices.dims[0] !== nnz || indices.dims[1] !== rank : indices.dims[0] !== nnz)
    ) {
      throw new MetacompressError(
        ErrorCodes.MODEL_INVALID,
        `indices of dims [${indices.dims.join(', ')}] do not match ${nnz} values of rank ${rank}`,
        where,
      );
    }
    const linear = (i: number): number => {
      if (!coordinate) return idx[i];
      let at = 0;
      for (let d = 0; d < rank; d++) at = at * dims[d] + idx[i * rank + d];
      return at;
    };
    const out = new Float64Array(count);
    const v = toNumbers(values);
    for (let i = 0; i < nnz; i++) {
      const at = linear(i);
      if (!Number.isInteger(at) || at < 0 || at >= count) {
        throw new MetacompressError(
          ErrorCodes.MODEL_INVALID,
          `sparse index ${at} is outside the ${count} elements of dims [${dims.join(', ')}]`,
          where,
        );
      }
      out[at] = v[i];
    }
    return createTensor(
      values.name,
      values.dataType,
      dims,
      values.dataType === DataType.FLOAT ? Float32Array.from(out) : Array.from(out),
    );
  });
  const { sparseInitializers: _dropped, ...rest } = graph;
  return { ...rest, initializers: [...graph.initializers, ...dense] };
}
