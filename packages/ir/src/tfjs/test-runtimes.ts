/**
 * Test helpers (not published): TF.js (cpu backend) and onnxruntime-web loaded in Node, and small
 * adapters between them and the codec.
 */
import { createRequire } from 'node:module';
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { encodeOnnx } from '../onnx/encode';
import type { Graph } from '../graph';
import type { EncodedTfjs } from './encode';
import type { TfjsModelJson } from './model-json';

const require = createRequire(import.meta.url);

export type Tf = typeof TfCore & typeof TfLayers;

let tfPromise: Promise<Tf> | undefined;

/** tfjs-core + tfjs-layers on the cpu backend (loaded once). */
export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const core = require('@tensorflow/tfjs-core') as typeof TfCore;
    require('@tensorflow/tfjs-backend-cpu');
    const layers = require('@tensorflow/tfjs-layers') as typeof TfLayers;
    await core.setBackend('cpu');
    return { ...core, ...layers } as Tf;
  })();
  return tfPromise;
}

interface OrtTensor {
  dims: readonly number[];
  data: Float32Array;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  env: { wasm: { numThreads: number }; logLevel: string };
  InferenceSession: { create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => unknown;
}

/** onnxruntime-web (wasm, one thread). */
export function loadOrt(): Ort {
  const ort = require('onnxruntime-web') as Ort;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'fatal';
  return ort;
}

/** A float tensor: row-major data and dims. */
export interface Dense {
  data: Float32Array;
  dims: number[];
}

/** Runs ONNX bytes (or an IR graph, encoded) in onnxruntime-web on float inputs; returns outputs by graph order. */
export async function runOrt(model: Graph | Uint8Array, inputs: Record<string, Dense>): Promise<Dense[]> {
  const ort = loadOrt();
  const bytes = model instanceof Uint8Array ? model : encodeOnnx(model);
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  try {
    const feeds: Record<string, unknown> = {};
    for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    const out = await session.run(feeds);
    return session.outputNames.map((n) => ({ data: Float32Array.from(out[n].data), dims: [...out[n].dims] }));
  } finally {
    await session.release();
  }
}

/** Saves a TF.js model through `withSaveHandler` and returns `{ modelJson, weightData }` as a model.json would hold them. */
export async function saveToMemory(tf: Tf, model: TfLayers.LayersModel): Promise<EncodedTfjs> {
  let result: EncodedTfjs | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData as ArrayBuffer;
      result = {
        modelJson: {
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          modelTopology: artifacts.modelTopology as Record<string, unknown>,
          weightsManifest: [
            {
              paths: ['group1-shard1of1.bin'],
              weights: (artifacts.weightSpecs ?? []) as TfjsModelJson['weightsManifest'][0]['weights'],
            },
          ],
        },
        weightData: new Uint8Array(data.slice(0)),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return result!;
}

/** Loads an encoded model into TF.js with `tf.loadLayersModel(tf.io.fromMemory(...))`. */
export async function loadEncoded(tf: Tf, encoded: EncodedTfjs): Promise<TfLayers.LayersModel> {
  const buffer = encoded.weightData.slice().buffer;
  const weightSpecs = encoded.modelJson.weightsManifest.flatMap(
    (g) => g.weights,
  ) as TfCore.io.WeightsManifestEntry[];
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: encoded.modelJson.modelTopology as unknown as TfCore.io.ModelJSON['modelTopology'],
      weightSpecs,
      weightData: buffer,
    }),
  );
}

/** Runs a TF.js model on one input; returns its (single or first) output as dense data. */
export function predict(tf: Tf, model: TfLayers.LayersModel, input: Dense): Dense {
  return tf.tidy(() => {
    const x = tf.tensor(input.data, input.dims, 'float32');
    const y = model.predict(x) as TfCore.Tensor | TfCore.Tensor[];
    const t = Array.isArray(y) ? y[0] : y;
    return { data: Float32Array.from(t.dataSync() as Float32Array), dims: [...t.shape] };
  });
}

/** NCHW → NHWC data. */
export function toNhwc(t: Dense): Dense {
  const [n, c, h, w] = t.dims;
  const out = new Float32Array(t.data.length);
  for (let b = 0; b < n; b++)
    for (let ci = 0; ci < c; ci++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          out[((b * h + y) * w + x) * c + ci] = t.data[((b * c + ci) * h + y) * w + x];
  return { data: out, dims: [n, h, w, c] };
}

/** Largest absolute difference (Infinity when shapes differ). */
export function maxAbsDiff(a: Dense, b: Dense): number {
  if (a.dims.join(',') !== b.dims.join(',')) return Infinity;
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

/** Deterministic pseudo-random floats in [lo, hi). */
export function randomData(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}
