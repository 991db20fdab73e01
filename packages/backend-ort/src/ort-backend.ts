import type { Dataset, DenseTensor, EvaluationResult, InferenceBackend, LatencyStats } from '@metacompress/core';
import { ErrorCodes, MetacompressError, isMetacompressError, sizeOf } from '@metacompress/core';
import { classScores, detectScoreKind, scoreRows, type ScoreKind } from './classification';
import { checkFeedShape, isFixedDim, prepareFeeds, randomFeeds, sessionInputs, sessionOutputs, type OrtValueSpec } from './feeds';
import { summarizeLatencies } from './latency-stats';
import { describeModel, modelBytes, type OrtModel } from './model-bytes';
import { loadOrtNode, loadOrtWeb, type OrtModule, type OrtSession, type OrtTensor } from './ort-module';
import { SessionCache } from './session-cache';
import { fromOrtTensor } from './tensor-convert';

/** Which onnxruntime package a backend drives: the wasm build (`web`) or the native one (`node`). */
export type OrtFlavor = 'web' | 'node';

/** Options of {@link createOrtBackend}. */
export interface OrtBackendOptions {
  /** Name used in the registry, reports and errors (default `ort-web` / `ort-node`). */
  name?: string;
  /**
   * Threads per session (default 1, for reproducible latency). onnxruntime-web fixes its thread
   * count at its first session in a process; asking for another count later throws.
   */
  numThreads?: number;
  /** Most sessions kept alive at once (default 8); least recently used ones are released. */
  maxSessions?: number;
  /** onnxruntime graph optimization level (default `all`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Options of {@link OrtBackend.run}. */
export interface OrtRunOptions {
  /** Values to return, by name: graph outputs, intermediate values, inputs (default: all graph outputs). */
  outputs?: string[];
}

/** Options of {@link OrtBackend.evaluate}. */
export interface OrtEvaluateOptions {
  /** Samples per run (default 64); a model with a fixed batch dim uses its own, padding the last batch. */
  batchSize?: number;
  /** Evaluate at most this many samples (in dataset order). */
  limit?: number;
  /** Called after every batch with samples done and samples to do. */
  onProgress?: (done: number, total: number) => void;
  /** What the first output holds (default `auto`: probabilities when rows sum to 1, else logits). */
  scores?: ScoreKind | 'auto';
}

/** Options of {@link OrtBackend.latency}. */
export interface OrtLatencyOptions {
  batchSize: number;
  /** Untimed runs first (default 3). */
  warmup?: number;
  /** Timed runs (default 20). */
  runs?: number;
  /** Sizes of symbolic dims other than the batch dim, by symbol. */
  dims?: Record<string, number>;
  /** Full input shapes by input name (overrides the model's declared shapes). */
  shapes?: Record<string, readonly number[]>;
  /** Seed of the random inputs (default 0). */
  seed?: number;
}

/** Core's latency statistics plus where they were measured and the raw samples. */
export interface OrtLatencyStats extends LatencyStats {
  /** Backend name, e.g. `ort-web`. */
  backend: string;
  /** Threads the engine used. */
  threads: number;
  /** Every timed run in milliseconds, in the order measured. */
  samplesMs: number[];
}

/**
 * An onnxruntime inference backend: runs IR graphs or ONNX bytes, evaluates top-1 accuracy and
 * mean cross-entropy over a dataset, measures latency. Sessions are cached per model.
 *
 * @example
 * const ort = await createOrtWebBackend();
 * const { logits } = await ort.run(graph, { input: { dims: [1, 1, 28, 28], data } });
 */
export interface OrtBackend extends InferenceBackend<OrtModel> {
  readonly name: string;
  readonly flavor: OrtFlavor;
  /** The engine that really runs, for reports: e.g. `onnxruntime-web 1.30.0 (wasm, 1 thread)`. */
  readonly engine: string;
  readonly numThreads: number;
  /** The onnxruntime module this backend drives. */
  readonly ort: OrtModule;
  run(model: OrtModel, feeds: Record<string, DenseTensor>, options?: OrtRunOptions): Promise<Record<string, DenseTensor>>;
  evaluate(model: OrtModel, data: Dataset, options?: OrtEvaluateOptions): Promise<EvaluationResult>;
  latency(model: OrtModel, options: OrtLatencyOptions): Promise<OrtLatencyStats>;
  /** The model's inputs as onnxruntime sees them (initializers excluded). */
  inputs(model: OrtModel): Promise<OrtValueSpec[]>;
  /** The model's outputs as onnxruntime sees them. */
  outputs(model: OrtModel): Promise<OrtValueSpec[]>;
  /** Releases every cached session. The backend stays usable. */
  dispose(): Promise<void>;
}

const threadsInUse = new WeakMap<object, number>();
const runQueues = new WeakMap<OrtSession, Promise<unknown>>();

/** Runs `work` after every earlier run on the same session has finished (sessions are not re-entrant). */
function exclusive<T>(session: OrtSession, work: () => Promise<T>): Promise<T> {
  const previous = runQueues.get(session) ?? Promise.resolve();
  const next = previous.then(work, work);
  runQueues.set(
    session,
    next.catch(() => undefined),
  );
  return next;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkCount(value: number, field: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `${field} must be an integer ≥ ${min}, got ${value}`, { field });
  }
}

/**
 * Creates an inference backend on a loaded onnxruntime module. `onnxruntime-web` and
 * `onnxruntime-node` share this one implementation; {@link createOrtWebBackend} and
 * {@link createOrtNodeBackend} load the module for you.
 *
 * @example
 * const backend = createOrtBackend(await loadOrtWeb(), 'web', { numThreads: 1 });
 */
export function createOrtBackend(ort: OrtModule, flavor: OrtFlavor, options: OrtBackendOptions = {}): OrtBackend {
  const name = options.name ?? `ort-${flavor}`;
  const numThreads = options.numThreads ?? 1;
  checkCount(numThreads, 'numThreads', 1);
  const version = (ort.env.versions as Record<string, string | undefined> | undefined)?.[flavor] ?? '';
  const threadWord = numThreads === 1 ? 'thread' : 'threads';
  const engine = `onnxruntime-${flavor}${version ? ` ${version}` : ''} (${flavor === 'web' ? 'wasm' : 'cpu'}, ${numThreads} ${threadWord})`;

  const failed = (reason: string, error: unknown, model: OrtModel): MetacompressError =>
    new MetacompressError(ErrorCodes.BACKEND_FAILED, `${reason} ${describeModel(model)}: ${reasonOf(error)}`, { backend: name }, { cause: error });

  const createSession = async (bytes: Uint8Array, model: object): Promise<OrtSession> => {
    if (flavor === 'web') {
      const current = threadsInUse.get(ort.env);
      if (current !== undefined && current !== numThreads) {
        throw new MetacompressError(
          ErrorCodes.INVALID_ARGUMENT,
          `onnxruntime-web already runs with ${current} thread(s) in this process (fixed at its first session); cannot use ${numThreads}`,
          { backend: name, field: 'numThreads' },
        );
      }
      ort.env.wasm.numThreads = numThreads;
      threadsInUse.set(ort.env, numThreads);
    }
    try {
      return await ort.InferenceSession.create(bytes, {
        executionProviders: [flavor === 'web' ? 'wasm' : 'cpu'],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        intraOpNumThreads: numThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        logSeverityLevel: 3,
      });
    } catch (error) {
      throw failed('onnxruntime could not load', error, model as OrtModel);
    }
  };
  const cache = new SessionCache(createSession, options.maxSessions ?? 8);

  const withSession = async <T>(model: OrtModel, extraOutputs: readonly string[], work: (session: OrtSession) => Promise<T>): Promise<T> => {
    if (!(model instanceof Uint8Array) && (typeof model !== 'object' || model === null || !Array.isArray(model.nodes))) {
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'model must be an IR Graph or the bytes of an ONNX model', { backend: name });
    }
    const sorted = [...new Set(extraOutputs)].sort();
    try {
      return await cache.use(model, JSON.stringify(sorted), () => modelBytes(model, sorted), work);
    } catch (error) {
      throw isMetacompressError(error) ? error.withDetails({ backend: name }) : error;
    }
  };

  const runSession = async (session: OrtSession, model: OrtModel, feeds: Record<string, OrtTensor>, fetches: string[]): Promise<Record<string, OrtTensor>> => {
    try {
      return await exclusive(session, () => session.run(feeds, fetches));
    } catch (error) {
      throw failed('onnxruntime failed to run', error, model);
    }
  };

  const backend: OrtBackend = {
    name,
    flavor,
    engine,
    numThreads,
    ort,

    inputs: (model) => withSession(model, [], async (session) => sessionInputs(session)),
    outputs: (model) => withSession(model, [], async (session) => sessionOutputs(session)),

    async run(model, feeds, runOptions = {}) {
      return withSession(model, [], async (base) => {
        const inputs = sessionInputs(base);
        const prepared = prepareFeeds(ort, inputs, feeds);
        const wanted = runOptions.outputs ?? [...base.outputNames];
        const inputNames = new Set(base.inputNames);
        const graphOutputs = new Set(base.outputNames);
        const fetch = [...new Set(wanted.filter((n) => !inputNames.has(n)))];
        const extra = fetch.filter((n) => !graphOutputs.has(n));
        const fetched =
          fetch.length === 0
            ? {}
            : extra.length === 0
              ? await runSession(base, model, prepared, fetch)
              : await withSession(model, extra, (probe) => runSession(probe, model, prepared, fetch));
        const result: Record<string, DenseTensor> = {};
        for (const n of wanted) {
          if (inputNames.has(n)) result[n] = feeds[n];
          else result[n] = fromOrtTensor(fetched[n], n);
        }
        return result;
      });
    },

    async evaluate(model, data, evalOptions = {}) {
      if (typeof data?.batches !== 'function' || !Array.isArray(data.sampleShape)) {
        throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'evaluate needs a Dataset (with sampleShape and batches())', { backend: name });
      }
      const batchSize = evalOptions.batchSize ?? 64;
      checkCount(batchSize, 'batchSize', 1);
      const limit = evalOptions.limit ?? data.length;
      checkCount(limit, 'limit', 0);
      const total = Math.min(limit, data.length);
      if (total === 0) {
        throw new MetacompressError(ErrorCodes.EMPTY_DATASET, `dataset '${data.name}' has no samples to evaluate`, { backend: name });
      }
      return withSession(model, [], async (session) => {
        const inputs = sessionInputs(session);
        if (inputs.length !== 1) {
          throw new MetacompressError(
            ErrorCodes.INVALID_ARGUMENT,
            `evaluation needs a model with one input; ${describeModel(model)} has ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`,
            { backend: name },
          );
        }
        const input = inputs[0];
        const sampleShape = [...data.sampleShape];
        if (input.shape) {
          const fits = input.shape.length === sampleShape.length + 1 && input.shape.slice(1).every((d, i) => !isFixedDim(d) || d === sampleShape[i]);
          if (!fits) {
            throw new MetacompressError(
              ErrorCodes.SHAPE_MISMATCH,
              `dataset '${data.name}' has samples of shape [${sampleShape.join(', ')}] but input '${input.name}' expects [${input.shape.join(', ')}] (batch dim first)`,
              { field: input.name, expected: [...input.shape], actual: sampleShape, backend: name },
            );
          }
        }
        const fixedBatch = input.shape && isFixedDim(input.shape[0]) ? input.shape[0] : undefined;
        const runBatch = fixedBatch ?? batchSize;
        const outputName = session.outputNames[0];
        const sampleSize = sizeOf(sampleShape);
        let kind: ScoreKind | undefined = evalOptions.scores === 'auto' ? undefined : evalOptions.scores;
        let done = 0;
        let correct = 0;
        let lossSum = 0;
        for (const batch of data.batches(runBatch, { limit: total })) {
          const n = batch.labels.length;
          if (n === 0) continue;
          const dims = batch.inputs.dims;
          if (dims[0] !== n || dims.length !== sampleShape.length + 1 || dims.slice(1).some((d: number, i: number) => d !== sampleShape[i])) {
            throw new MetacompressError(
              ErrorCodes.SHAPE_MISMATCH,
              `dataset '${data.name}' gave a batch of dims [${dims.join(', ')}] for ${n} labels of samples [${sampleShape.join(', ')}]`,
              { field: 'inputs', backend: name },
            );
          }
          let feedData = batch.inputs.data;
          let rows = n;
          if (fixedBatch !== undefined && n < fixedBatch) {
            feedData = new Float32Array(fixedBatch * sampleSize);
            feedData.set(batch.inputs.data.subarray(0, n * sampleSize));
            rows = fixedBatch;
          }
          const feed = { dims: [rows, ...sampleShape], data: feedData };
          checkFeedShape(input, feed.dims);
          const prepared = prepareFeeds(ort, inputs, { [input.name]: feed });
          const outputs = await runSession(session, model, prepared, [outputName]);
          const { scores, classes } = classScores(fromOrtTensor(outputs[outputName], outputName), rows, outputName);
          kind ??= detectScoreKind(scores, n, classes);
          const score = scoreRows(scores, n, classes, batch.labels, kind);
          correct += score.correct;
          lossSum += score.lossSum;
          done += n;
          evalOptions.onProgress?.(done, total);
          if (done >= total) break;
        }
        if (done === 0) {
          throw new MetacompressError(ErrorCodes.EMPTY_DATASET, `dataset '${data.name}' gave no samples`, { backend: name });
        }
        return { accuracy: correct / done, loss: lossSum / done, samples: done };
      });
    },

    async latency(model, latencyOptions) {
      const { batchSize, warmup = 3, runs = 20 } = latencyOptions;
      checkCount(batchSize, 'batchSize', 1);
      checkCount(warmup, 'warmup', 0);
      checkCount(runs, 'runs', 1);
      return withSession(model, [], async (session) => {
        const feeds = randomFeeds(ort, sessionInputs(session), latencyOptions);
        const fetches = [...session.outputNames];
        for (let i = 0; i < warmup; i++) await runSession(session, model, feeds, fetches);
        const samplesMs: number[] = [];
        for (let i = 0; i < runs; i++) {
          const start = performance.now();
          await runSession(session, model, feeds, fetches);
          samplesMs.push(performance.now() - start);
        }
        return { ...summarizeLatencies(samplesMs, batchSize), backend: name, threads: numThreads, samplesMs };
      });
    },

    dispose: () => cache.clear(),
  };
  return backend;
}

/**
 * An inference backend on onnxruntime-web (the wasm build, which in Node is the same engine the
 * browser runs): the reference for browser latency.
 *
 * @example
 * const web = await createOrtWebBackend({ numThreads: 1 });
 * (await web.latency(graph, { batchSize: 64 })).medianMs;
 */
export async function createOrtWebBackend(options: OrtBackendOptions = {}): Promise<OrtBackend> {
  return createOrtBackend(await loadOrtWeb(), 'web', options);
}

/**
 * An inference backend on onnxruntime-node (native CPU build, an optional dependency): several
 * times faster than the wasm build. Rejects with `MC_BACKEND_FAILED` when it cannot be loaded.
 *
 * @example
 * const node = await createOrtNodeBackend().catch(() => createOrtWebBackend());
 */
export async function createOrtNodeBackend(options: OrtBackendOptions = {}): Promise<OrtBackend> {
  return createOrtBackend(await loadOrtNode(), 'node', options);
}
