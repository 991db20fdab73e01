import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { loadOnnx, loadTfjs, type Graph } from '@metacompress/ir';

/** The formats the CLI reads and writes. */
export type ModelFormat = 'onnx' | 'tfjs';

/**
 * Checks that a model path exists and is a file (or a TF.js folder), with one-line typed errors.
 *
 * @example
 * const { path, format } = await checkModelPath('model.onnx', io.cwd);
 */
export async function checkModelPath(path: string, cwd: string): Promise<{ path: string; format: ModelFormat }> {
  const full = resolve(cwd, path);
  const info = await stat(full).catch(() => undefined);
  if (!info) throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, 'no such file', { file: path });
  if (info.isDirectory()) {
    const json = await stat(resolve(full, 'model.json')).catch(() => undefined);
    if (json?.isFile()) return { path: resolve(full, 'model.json'), format: 'tfjs' };
    throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'is a directory, expected a model file (.onnx or a TF.js model.json)', { file: path });
  }
  return { path: full, format: extname(full).toLowerCase() === '.json' ? 'tfjs' : 'onnx' };
}

/**
 * Loads an ONNX file or a TF.js LayersModel (`model.json` or its folder) into the IR.
 *
 * @example
 * const graph = await loadModel('lenet.onnx', process.cwd());
 */
export async function loadModel(path: string, cwd: string): Promise<{ graph: Graph; path: string; format: ModelFormat }> {
  const checked = await checkModelPath(path, cwd);
  if (checked.format === 'tfjs') return { graph: await loadTfjs(checked.path), ...checked };
  return { graph: await loadOnnx(checked.path), ...checked };
}
