/**
 * Test-only: runs a graph in onnxruntime-web (wasm, one thread) through the ONNX encoder.
 */
import { createRequire } from 'node:module';
import type { Graph } from '../graph';
import { encodeOnnx } from '../onnx/encode';

interface OrtTensorLike {
  dims: readonly number[];
  data: Float32Array;
}
interface Ort {
  InferenceSession: {
    create(bytes: Uint8Array): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensorLike>>;
      release?(): Promise<void>;
    }>;
  };
  Tensor: new (type: string, data: Float32Array, dims: readonly number[]) => unknown;
  env: { wasm: { numThreads: number }; logLevel: string };
}

let ort: Ort | undefined;

function load(): Ort {
  if (!ort) {
    const require = createRequire(import.meta.url);
    ort = require('onnxruntime-web') as Ort;
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
  }
  return ort;
}

/** Runs `graph` on float32 feeds and returns every graph output. */
export async function runOrt(
  graph: Graph,
  feeds: Record<string, { dims: readonly number[]; data: Float32Array }>,
): Promise<Record<string, OrtTensorLike>> {
  const o = load();
  const session = await o.InferenceSession.create(encodeOnnx(graph));
  const inputs: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(feeds)) inputs[name] = new o.Tensor('float32', t.data, t.dims);
  const out = await session.run(inputs);
  await session.release?.();
  return out;
}

/** Deterministic input data in [-1, 1). */
export function testInput(
  dims: readonly number[],
  seed = 7,
): { dims: readonly number[]; data: Float32Array } {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { dims, data };
}
