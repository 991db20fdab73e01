import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError, log as logEvent, type ProgressReporter } from '@metacompress/core';
import { registerTrainingGradients } from '../gradients/register-gradients';
import { installTapeOrderFix } from '../gradients/tape-order-fix';
import { registerTrainingKernels } from '../kernels/training-kernels';
import { ensureCoreGradients } from './core-gradients';
import {
  TFJS_BACKEND_ENV,
  resolveEngineOrder,
  type TfjsEngineChoice,
  type TfjsEngineName,
} from './engine-names';
import { locateWasmFiles } from './wasm-files';

/** Options of {@link initTfjs}. */
export interface InitTfjsOptions {
  /**
   * Engines to try, in order (`'tfjs-node'`, `'wasm'`, `'cpu'`; `'tfjs-wasm'`/`'tfjs-cpu'` work too).
   * Default: the `METACOMPRESS_TFJS_BACKEND` environment variable (a name or a comma-separated
   * list), else tfjs-node, wasm, cpu.
   */
  prefer?: readonly (TfjsEngineChoice | TfjsEngineName)[];
  /** Where to report the choice: a function taking one line, or a core progress reporter. */
  log?: ((message: string) => void) | ProgressReporter;
  /** Environment to read `METACOMPRESS_TFJS_BACKEND` from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /**
   * Install the tape-order fix that makes second derivatives correct (default true; it changes
   * no first-order result). See `installTapeOrderFix`.
   */
  higherOrderFix?: boolean;
}

/** What {@link initTfjs} chose and why. */
export interface TfjsRuntime {
  /** The tfjs-core module, with the chosen backend active. */
  tf: typeof tf;
  /** The engine that really runs. */
  engine: TfjsEngineName;
  /** The tfjs backend name behind the engine (`tensorflow`, `wasm`, `cpu`). */
  backendName: string;
  /** For every engine: `selected`, why it failed, or why it was not tried. */
  reasons: Record<string, string>;
  /** Composed kernels this package installed on the backend. */
  kernels: string[];
  /** Where the order came from. */
  orderSource: 'option' | 'env' | 'default';
}

const BACKEND_NAMES: Record<TfjsEngineName, string> = {
  'tfjs-node': 'tensorflow',
  'tfjs-wasm': 'wasm',
  'tfjs-cpu': 'cpu',
};

type LoadState = { ok: true } | { ok: false; reason: string };
const loads = new Map<TfjsEngineName, Promise<LoadState>>();
let queue: Promise<unknown> = Promise.resolve();

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim();
}

async function loadEngine(engine: TfjsEngineName): Promise<LoadState> {
  const require = createRequire(import.meta.url);
  const backendName = BACKEND_NAMES[engine];
  try {
    if (engine === 'tfjs-node') {
      require('@tensorflow/tfjs-node');
      if (!tf.findBackendFactory(backendName))
        return { ok: false, reason: 'loaded but registered no "tensorflow" backend' };
    } else if (engine === 'tfjs-wasm') {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      const paths = locateWasmFiles(import.meta.url);
      if (!paths)
        return { ok: false, reason: 'the .wasm files of @tensorflow/tfjs-backend-wasm were not found' };
      if (!tf.engine().registry[backendName]) wasm.setWasmPaths(paths);
    } else {
      require('@tensorflow/tfjs-backend-cpu');
    }
  } catch (error) {
    return { ok: false, reason: firstLine(error) };
  }
  return { ok: true };
}

async function activate(engine: TfjsEngineName): Promise<LoadState> {
  let load = loads.get(engine);
  if (!load) {
    load = loadEngine(engine);
    loads.set(engine, load);
  }
  const loaded = await load;
  if (!loaded.ok) return loaded;
  const backendName = BACKEND_NAMES[engine];
  let ok: boolean;
  try {
    ok = await tf.setBackend(backendName);
  } catch (error) {
    return { ok: false, reason: firstLine(error) };
  }
  if (!ok) {
    const failure: LoadState = { ok: false, reason: `the ${backendName} backend failed to initialize` };
    loads.set(engine, Promise.resolve(failure));
    return failure;
  }
  if (engine === 'tfjs-cpu') {
    // The cpu backend prints a banner about tfjs-node on first use; we report the choice ourselves.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  return { ok: true };
}

async function describe(engine: TfjsEngineName): Promise<string> {
  if (engine !== 'tfjs-wasm') return engine;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `${engine} (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'threads' : '1 thread'})`;
}

function emit(target: InitTfjsOptions['log'], message: string): void {
  if (!target) return;
  if (typeof target === 'function') target(message);
  else logEvent(target, 'info', message, 'backend-tfjs');
}

/**
 * Picks and initializes the TensorFlow.js engine: `@tensorflow/tfjs-node` when it is installed,
 * else the wasm backend (SIMD; its .wasm files located through `require.resolve`), else the cpu
 * backend. The order can be set by option or by the `METACOMPRESS_TFJS_BACKEND` environment
 * variable. It then makes training work on that engine: tfjs-core's gradients are registered
 * (its Node build ships none), kernels the backend lacks for training are added (composed from
 * kernels it has), slow ones are replaced, and gradients that tfjs-core gets wrong or lacks are
 * registered (dilated and depthwise convolutions, SAME average pooling, second derivatives).
 * The engine is process-wide (tfjs has one); calling again with another preference switches it.
 * Throws `MC_NO_BACKEND` naming every engine's reason when none initializes.
 *
 * @example
 * const { tf, engine, reasons } = await initTfjs({ log: console.log });
 * // engine === 'tfjs-wasm'; reasons['tfjs-node'] === "Cannot find module '@tensorflow/tfjs-node'…"
 */
export function initTfjs(options: InitTfjsOptions = {}): Promise<TfjsRuntime> {
  const run = queue.then(() => initNow(options));
  queue = run.catch(() => undefined);
  return run;
}

async function initNow(options: InitTfjsOptions): Promise<TfjsRuntime> {
  const env = options.env ?? process.env;
  const { order, source } = resolveEngineOrder(options.prefer, env);
  const reasons: Record<string, string> = {};
  let chosen: TfjsEngineName | undefined;
  for (const engine of order) {
    if (chosen) {
      reasons[engine] = `not tried: ${chosen} was chosen first`;
      continue;
    }
    const state = await activate(engine);
    if (state.ok) {
      chosen = engine;
      reasons[engine] = 'selected';
    } else {
      reasons[engine] = state.reason;
    }
  }
  for (const engine of ['tfjs-node', 'tfjs-wasm', 'tfjs-cpu'] as const) {
    if (!(engine in reasons)) {
      reasons[engine] =
        source === 'env'
          ? `not in ${TFJS_BACKEND_ENV}=${env[TFJS_BACKEND_ENV]}`
          : 'not in the requested order';
    }
  }
  const list = order.map((e) => `${e}: ${reasons[e]}`).join('; ');
  if (!chosen) {
    throw new MetacompressError(
      ErrorCodes.NO_BACKEND,
      `no TensorFlow.js engine could be initialized (${list})`,
      { backend: order.join(',') },
    );
  }
  ensureCoreGradients(import.meta.url);
  registerTrainingGradients();
  const backendName = BACKEND_NAMES[chosen];
  const kernels = registerTrainingKernels(backendName);
  if (options.higherOrderFix !== false) installTapeOrderFix();
  const others = order.filter((e) => e !== chosen && reasons[e] !== `not tried: ${chosen} was chosen first`);
  emit(
    options.log,
    `TensorFlow.js engine: ${await describe(chosen)}` +
      (source !== 'default' ? ` (order from ${source === 'env' ? TFJS_BACKEND_ENV : 'options'})` : '') +
      (others.length ? `; unavailable: ${others.map((e) => `${e} (${reasons[e]})`).join(', ')}` : ''),
  );
  return { tf, engine: chosen, backendName, reasons, kernels, orderSource: source };
}
