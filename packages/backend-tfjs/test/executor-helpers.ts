// Helpers for the executor tests: small IR graphs built by hand, seeded values, onnxruntime-web
// as the reference, MNIST batches. Not published (test/ is outside `files`).
import { join } from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import type { DenseTensor } from '@metacompress/core';
import { createOrtWebBackend, type OrtBackend } from '@metacompress/backend-ort/base';
import {
  DataType,
  createTensor,
  loadOnnx,
  type Attribute,
  type Graph,
  type Node,
  type Tensor,
} from '@metacompress/ir';
import { buildExecutor, initTfjs, type BuildExecutorOptions, type TfjsRuntime } from '../src/base';

export const FIXTURES = join(import.meta.dirname, '../../../fixtures/models');

let runtime: Promise<TfjsRuntime> | undefined;
/** The engine the tests run on: wasm (what users get), cpu only if wasm cannot start. */
export function tfjs(): Promise<TfjsRuntime> {
  return (runtime ??= initTfjs({ prefer: ['wasm', 'cpu'] }));
}

let ort: Promise<OrtBackend> | undefined;
/** onnxruntime-web, the reference. */
export function ortWeb(): Promise<OrtBackend> {
  return (ort ??= createOrtWebBackend());
}

/** Deterministic values in [-1, 1). */
export function seeded(n: number, seed: number, scale = 1): Float32Array {
  let s = (seed * 2654435761 + 12345) % 2147483648;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = ((s / 2147483648) * 2 - 1) * scale;
  }
  return v;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** A float initializer with seeded values. */
export function weight(name: string, dims: readonly number[], seed: number, scale = 0.5): Tensor {
  return createTensor(name, DataType.FLOAT, dims, seeded(size(dims), seed, scale));
}

/** An int64 initializer. */
export function int64(
  name: string,
  values: readonly number[],
  dims: readonly number[] = [values.length],
): Tensor {
  return createTensor(name, DataType.INT64, dims, [...values]);
}

/** Attribute helpers. */
export const a = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value }),
  str: (value: string): Attribute => ({ type: 'string', value }),
  tensor: (value: Tensor): Attribute => ({ type: 'tensor', value }),
};

let counter = 0;
/** A node (named `<opType>_<n>` unless given). */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, Attribute> = {},
  name?: string,
): Node {
  return { name: name ?? `${opType}_${counter++}`, opType, domain: '', inputs, outputs, attributes };
}

/** A graph with float inputs of the given dims (a string dim is symbolic). */
export function graphOf(spec: {
  inputs: Record<string, readonly (number | string)[]>;
  outputs: readonly string[];
  nodes: readonly Node[];
  initializers?: readonly Tensor[];
  opset?: number;
}): Graph {
  return {
    name: 'test',
    nodes: spec.nodes,
    inputs: Object.entries(spec.inputs).map(([name, shape]) => ({
      name,
      type: { kind: 'tensor', elemType: DataType.FLOAT, shape },
    })),
    outputs: spec.outputs.map((name) => ({ name, type: { kind: 'tensor', elemType: DataType.FLOAT } })),
    valueInfo: [],
    initializers: spec.initializers ?? [],
    model: {
      irVersion: 8,
      opsetImports: [{ domain: '', version: spec.opset ?? 13 }],
      metadataProps: [],
      producerName: 'executor-test',
    },
  };
}

/** Largest |a − b| (Infinity on a length mismatch or NaN). */
export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Runs a graph in the executor and in onnxruntime-web on the same feeds; returns both and the largest difference. */
export async function compareWithOrt(
  graph: Graph,
  feeds: Record<string, DenseTensor<Float32Array>>,
  options: Omit<BuildExecutorOptions, 'tf'> = {},
): Promise<{
  maxDiff: number;
  tfjs: Record<string, Float32Array>;
  ort: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
}> {
  const { tf } = await tfjs();
  const exec = buildExecutor(graph, { ...options, tf });
  const tfOut: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  try {
    const inputs: Record<string, tfc.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) inputs[name] = tf.tensor(t.data, [...t.dims]);
    const out = exec.forward(inputs);
    for (const [name, t] of Object.entries(out)) {
      tfOut[name] = Float32Array.from(t.dataSync() as ArrayLike<number>);
      shapes[name] = t.shape;
    }
    tf.dispose([...Object.values(inputs), ...Object.values(out)]);
  } finally {
    exec.dispose();
  }
  const reference = await (await ortWeb()).run(graph, feeds);
  const ortOut: Record<string, Float32Array> = {};
  let maxDiff = 0;
  for (const [name, t] of Object.entries(reference)) {
    ortOut[name] = Float32Array.from(t.data as ArrayLike<number>, Number);
    const same = JSON.stringify([...t.dims]) === JSON.stringify(shapes[name]);
    maxDiff = Math.max(maxDiff, same ? maxAbsDiff(tfOut[name]!, ortOut[name]!) : Infinity);
  }
  return { maxDiff, tfjs: tfOut, ort: ortOut, shapes };
}

/** A fixture model by file name (e.g. `lenet5.onnx`). */
export function fixture(file: string): Promise<Graph> {
  return loadOnnx(join(FIXTURES, file));
}

/** A float feed of seeded values. */
export function feed(dims: readonly number[], seed: number, scale = 1): DenseTensor<Float32Array> {
  return { dims, data: seeded(size(dims), seed, scale) };
}
