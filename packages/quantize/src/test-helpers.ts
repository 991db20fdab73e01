/**
 * Test-only helpers (not published): fixture paths, an in-memory dataset, small graph builders,
 * a shared onnxruntime-web backend and the optional `onnx.checker` run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  BackendRegistry,
  isMetacompressError,
  type BatchOptions,
  type Dataset,
  type LabeledBatch,
  type MetacompressError,
} from '@metacompress/core';
import { createTensor, DataType, encodeOnnx, type Graph, type Node, type Tensor } from '@metacompress/ir';
import { createOrtWebBackend, registerOrtBackends, type OrtBackend } from '@metacompress/backend-ort';

const here = dirname(new URL(import.meta.url).pathname);
/** The repository root. */
export const repoRoot = resolve(here, '../../..');

/** Path of a fixture model (`fixtures/models/<name>.onnx`). */
export function fixturePath(name: string): string {
  return join(repoRoot, 'fixtures/models', `${name}.onnx`);
}

let web: Promise<OrtBackend> | undefined;
/** One onnxruntime-web backend per test process. */
export function webBackend(): Promise<OrtBackend> {
  web ??= createOrtWebBackend();
  return web;
}

/** A registry holding `ort-web` (and `ort-node`, which may fail to load and then is skipped). */
export function ortRegistry(): BackendRegistry {
  const registry = new BackendRegistry();
  registerOrtBackends(registry);
  return registry;
}

/** An in-memory dataset of row-major samples. */
export function arrayDataset(
  inputs: Float32Array,
  sampleShape: readonly number[],
  labels: Int32Array,
  numClasses = 10,
  name = 'test-data',
): Dataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const length = labels.length;
  return {
    name,
    length,
    sampleShape,
    numClasses,
    *batches(batchSize: number, options: BatchOptions = {}): Iterable<LabeledBatch> {
      const total = Math.min(options.limit ?? length, length);
      for (let start = 0; start < total; start += batchSize) {
        const end = Math.min(start + batchSize, total);
        if (options.dropLast && end - start < batchSize) break;
        yield {
          inputs: { dims: [end - start, ...sampleShape], data: inputs.slice(start * size, end * size) },
          labels: labels.slice(start, end),
        };
      }
    },
  };
}

/** Deterministic pseudo-random numbers in [-1, 1). */
export function randomValues(n: number, seed = 1, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

const node = (
  opType: string,
  name: string,
  inputs: string[],
  outputs: string[],
  attributes: Node['attributes'] = {},
): Node => ({
  name,
  opType,
  domain: '',
  inputs,
  outputs,
  attributes,
});

/**
 * A small MLP: input [N, inDim] → Gemm(transB) → Relu → Gemm(transB) → logits [N, classes].
 * `w1` may be given (row-major [hidden, inDim]).
 */
export function mlpGraph(
  options: {
    inDim?: number;
    hidden?: number;
    classes?: number;
    seed?: number;
    w1?: Float32Array;
    opset?: number;
  } = {},
): Graph {
  const { inDim = 8, hidden = 16, classes = 4, seed = 3, opset = 13 } = options;
  const inits: Tensor[] = [
    createTensor(
      'fc1.weight',
      DataType.FLOAT,
      [hidden, inDim],
      options.w1 ?? randomValues(hidden * inDim, seed, 0.5),
    ),
    createTensor('fc1.bias', DataType.FLOAT, [hidden], randomValues(hidden, seed + 1, 0.1)),
    createTensor(
      'fc2.weight',
      DataType.FLOAT,
      [classes, hidden],
      randomValues(classes * hidden, seed + 2, 0.5),
    ),
    createTensor('fc2.bias', DataType.FLOAT, [classes], randomValues(classes, seed + 3, 0.1)),
  ];
  return {
    name: 'mlp',
    nodes: [
      node('Gemm', 'fc1', ['input', 'fc1.weight', 'fc1.bias'], ['h'], { transB: { type: 'int', value: 1 } }),
      node('Relu', 'relu1', ['h'], ['h_relu']),
      node('Gemm', 'fc2', ['h_relu', 'fc2.weight', 'fc2.bias'], ['logits'], {
        transB: { type: 'int', value: 1 },
      }),
    ],
    inputs: [{ name: 'input', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', inDim] } }],
    outputs: [{ name: 'logits', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', classes] } }],
    valueInfo: [],
    initializers: inits,
    model: {
      irVersion: 7,
      opsetImports: [{ domain: '', version: opset }],
      metadataProps: [],
      producerName: 'test',
    },
  };
}

/** Whether `/usr/bin/python3` can import onnx (for the optional checker run). */
export const hasOnnxChecker: boolean = (() => {
  if (!existsSync('/usr/bin/python3')) return false;
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Runs `onnx.checker.check_model(full_check=True)` on a graph when Debian's python3-onnx is there;
 * returns `'skipped'` otherwise and throws the checker's message when it rejects the model.
 */
export function onnxCheck(graph: Graph | Uint8Array): 'ok' | 'skipped' {
  if (!hasOnnxChecker) return 'skipped';
  const dir = mkdtempSync(join(tmpdir(), 'mc-quantize-check-'));
  try {
    const file = join(dir, 'model.onnx');
    writeFileSync(file, graph instanceof Uint8Array ? graph : encodeOnnx(graph));
    execFileSync(
      '/usr/bin/python3',
      ['-c', 'import onnx,sys; onnx.checker.check_model(sys.argv[1], full_check=True)', file],
      { stdio: 'pipe', timeout: 60_000 },
    );
    return 'ok';
  } catch (error) {
    const e = error as { stderr?: Buffer; message: string };
    throw new Error(
      `onnx.checker rejected the model: ${e.stderr?.toString().trim().split('\n').slice(-3).join(' ') ?? e.message}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Index of the largest value of each row. */
export function argmaxRows(data: ArrayLike<number>, rows: number): Int32Array {
  const cols = data.length / rows;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c] > data[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Runs `fn` and returns the MetacompressError it throws; fails when it throws nothing or another error. */
export function thrownBy(fn: () => unknown): MetacompressError {
  try {
    fn();
  } catch (error) {
    if (isMetacompressError(error)) return error;
    throw error;
  }
  throw new Error('expected a MetacompressError, nothing was thrown');
}

/** Awaits `promise` and returns the MetacompressError it rejects with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<MetacompressError> {
  try {
    await promise;
  } catch (error) {
    if (isMetacompressError(error)) return error;
    throw error;
  }
  throw new Error('expected a MetacompressError, the promise resolved');
}
