/**
 * Test-only: runs an IR graph in onnxruntime-web (wasm, one thread) through the ONNX codec.
 * Not exported from the package.
 */
import { encodeOnnx } from '../onnx/encode';
import type { Graph } from '../graph';

type Ort = typeof import('onnxruntime-web');
let ortPromise: Promise<Ort> | undefined;

async function ort(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-web').then((m) => {
    const mod = ((m as unknown as { default?: Ort }).default ?? m) as Ort;
    mod.env.wasm.numThreads = 1;
    return mod;
  });
  return ortPromise;
}

/** Output of one run: dims and values (as numbers) per output name. */
export type OrtOutputs = Record<string, { dims: number[]; data: number[] }>;

/**
 * Runs `graph` on float32 (or given typed) feeds and returns every graph output.
 *
 * @example
 * const out = await runOrt(graph, { x: { dims: [1, 3], data: new Float32Array(3) } });
 */
export async function runOrt(
  graph: Graph,
  feeds: Record<string, { dims: readonly number[]; data: Float32Array | BigInt64Array | Int32Array }>,
): Promise<OrtOutputs> {
  const o = await ort();
  const session = await o.InferenceSession.create(encodeOnnx(graph));
  try {
    const inputs: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const [name, f] of Object.entries(feeds)) {
      const type =
        f.data instanceof Float32Array ? 'float32' : f.data instanceof BigInt64Array ? 'int64' : 'int32';
      inputs[name] = new o.Tensor(type, f.data, [...f.dims]);
    }
    const result = await session.run(inputs);
    const out: OrtOutputs = {};
    for (const [name, t] of Object.entries(result)) {
      out[name] = { dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Seeded-free deterministic float32 data of a given size (a ramp with signs). */
export function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((i * 37) % 17) / 8 - 1);
}
