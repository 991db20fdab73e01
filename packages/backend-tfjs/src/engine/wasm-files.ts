import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

/**
 * The three binaries that `@tensorflow/tfjs-backend-wasm` may load.
 *
 * @example
 * WASM_FILE_NAMES.includes('tfjs-backend-wasm-simd.wasm'); // true
 */
export const WASM_FILE_NAMES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

/**
 * Absolute paths of the wasm binaries of the installed `@tensorflow/tfjs-backend-wasm`, found with
 * `require.resolve` (so it works from the built package and from sources, wherever npm put it).
 * Returns `undefined` when the package or a file is missing.
 *
 * @example
 * const paths = locateWasmFiles(); // { 'tfjs-backend-wasm-simd.wasm': '/…/dist/tfjs-backend-wasm-simd.wasm', … }
 * if (paths) setWasmPaths(paths);
 */
export function locateWasmFiles(from: string = import.meta.url): Record<string, string> | undefined {
  const require = createRequire(from);
  let dir: string;
  try {
    dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  } catch {
    return undefined;
  }
  const paths: Record<string, string> = {};
  for (const name of WASM_FILE_NAMES) {
    const path = join(dir, 'dist', name);
    if (!existsSync(path)) return undefined;
    paths[name] = path;
  }
  return paths;
}
