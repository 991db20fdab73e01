import { ErrorCodes, MetacompressError } from '@metacompress/core';

/** Which TensorFlow.js engine really runs, as reported to users. */
export type TfjsEngineName = 'tfjs-node' | 'tfjs-wasm' | 'tfjs-cpu';

/** What a caller may ask for (short or engine names are both accepted by the parsers). */
export type TfjsEngineChoice = 'tfjs-node' | 'wasm' | 'cpu';

/**
 * The environment variable that overrides the engine order: a name or a comma-separated list.
 *
 * @example
 * // METACOMPRESS_TFJS_BACKEND=cpu npx metacompress …
 * process.env[TFJS_BACKEND_ENV] = 'wasm,cpu';
 */
export const TFJS_BACKEND_ENV = 'METACOMPRESS_TFJS_BACKEND';

/**
 * Default order: native TensorFlow when installed, then wasm, then the pure-JS cpu backend.
 *
 * @example
 * DEFAULT_ENGINE_ORDER[0]; // 'tfjs-node'
 */
export const DEFAULT_ENGINE_ORDER: readonly TfjsEngineName[] = ['tfjs-node', 'tfjs-wasm', 'tfjs-cpu'];

const ALIASES: Record<string, TfjsEngineName> = {
  'tfjs-node': 'tfjs-node',
  node: 'tfjs-node',
  tensorflow: 'tfjs-node',
  'tfjs-wasm': 'tfjs-wasm',
  wasm: 'tfjs-wasm',
  'tfjs-cpu': 'tfjs-cpu',
  cpu: 'tfjs-cpu',
};

/**
 * The engine name for a choice (`'wasm'` → `'tfjs-wasm'`); throws `MC_INVALID_ARGUMENT` on
 * anything else, naming where the value came from.
 *
 * @example
 * toEngineName('cpu'); // 'tfjs-cpu'
 */
export function toEngineName(choice: string, field = 'prefer'): TfjsEngineName {
  const name = ALIASES[choice.trim().toLowerCase()];
  if (!name) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `unknown TensorFlow.js engine '${choice}'; use tfjs-node, wasm or cpu`,
      { field, backend: choice },
    );
  }
  return name;
}

/**
 * The engine order asked for by the environment variable, or `undefined` when it is unset/empty.
 *
 * @example
 * engineOrderFromEnv({ METACOMPRESS_TFJS_BACKEND: 'wasm,cpu' }); // ['tfjs-wasm', 'tfjs-cpu']
 */
export function engineOrderFromEnv(
  env: Record<string, string | undefined> = process.env,
): TfjsEngineName[] | undefined {
  const raw = env[TFJS_BACKEND_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  return dedupe(
    raw
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => toEngineName(s, TFJS_BACKEND_ENV)),
  );
}

/**
 * The order to try engines in: the `prefer` option when given, else the environment variable,
 * else {@link DEFAULT_ENGINE_ORDER}.
 *
 * @example
 * resolveEngineOrder(undefined, {}); // ['tfjs-node', 'tfjs-wasm', 'tfjs-cpu']
 */
export function resolveEngineOrder(
  prefer: readonly string[] | undefined,
  env: Record<string, string | undefined> = process.env,
): { order: TfjsEngineName[]; source: 'option' | 'env' | 'default' } {
  if (prefer && prefer.length > 0)
    return { order: dedupe(prefer.map((p) => toEngineName(p))), source: 'option' };
  const fromEnv = engineOrderFromEnv(env);
  if (fromEnv) return { order: fromEnv, source: 'env' };
  return { order: [...DEFAULT_ENGINE_ORDER], source: 'default' };
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
