import { backends as defaultRegistry, type BackendRegistry } from '@metacompress/core';
import { initTfjs } from '../engine/init-tfjs';
import { TFJS_BACKEND_ENV, engineOrderFromEnv, type TfjsEngineName } from '../engine/engine-names';
import { irGraphExecutor } from '../executor/graph-executor';
import { createTfjsBackend, type GraphExecutor } from './tfjs-backend';

/**
 * Names and priorities under which this package registers (kind `differentiable`).
 *
 * @example
 * TFJS_BACKEND_PRIORITIES['tfjs-wasm']; // 20
 */
export const TFJS_BACKEND_PRIORITIES: Readonly<Record<TfjsEngineName, number>> = {
  'tfjs-node': 30,
  'tfjs-wasm': 20,
  'tfjs-cpu': 10,
};

/** Options of {@link registerTfjsBackends}. */
export interface RegisterTfjsOptions {
  /** Registry to register into (default: core's process-wide `backends`). */
  registry?: Pick<BackendRegistry, 'register'>;
  /**
   * The graph executor the backends use (see {@link GraphExecutor}); default: this package's IR
   * executor (`irGraphExecutor`). `null` registers backends without one, whose `weightGradients`
   * and `evaluate` throw `MC_UNSUPPORTED_OP` (e.g. to provide only the engine).
   */
  executor?: GraphExecutor | null;
  /** Environment to read `METACOMPRESS_TFJS_BACKEND` from at init time (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/**
 * Registers `tfjs-node` (priority 30), `tfjs-wasm` (20) and `tfjs-cpu` (10) as `differentiable`
 * backends that run graphs with the IR executor (or `options.executor`). Each initializes lazily with {@link initTfjs} restricted to its own engine; when
 * `METACOMPRESS_TFJS_BACKEND` is set, engines it does not name fail with that reason, so resolving
 * by priority lands on the one asked for.
 *
 * @example
 * registerTfjsBackends();
 * const tfjs = await backends.resolve<DifferentiableBackend<Graph>>('differentiable');
 */
export function registerTfjsBackends(options: RegisterTfjsOptions = {}): void {
  const registry = options.registry ?? defaultRegistry;
  const executor = options.executor === undefined ? irGraphExecutor : (options.executor ?? undefined);
  for (const [engine, priority] of Object.entries(TFJS_BACKEND_PRIORITIES) as [TfjsEngineName, number][]) {
    registry.register({
      name: engine,
      kind: 'differentiable',
      priority,
      init: async () => {
        const env = options.env ?? process.env;
        const wanted = engineOrderFromEnv(env);
        if (wanted && !wanted.includes(engine)) {
          throw new Error(`not selected by ${TFJS_BACKEND_ENV}=${env[TFJS_BACKEND_ENV]}`);
        }
        const runtime = await initTfjs({ prefer: [engine], env });
        return createTfjsBackend(runtime, executor, engine);
      },
    });
  }
}
