import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ErrorCodes, MetacompressError, writeFileAtomic } from '@metacompress/core';
import type { Graph } from '../graph';
import { checkExternalLocation } from '../onnx/external-data';
import { decodeTfjs, type DecodeTfjsOptions } from './decode';
import { encodeTfjs, type EncodeTfjsOptions } from './encode';
import { parseTfjsModelJson } from './model-json';
import { DEFAULT_SHARD_BYTES, weightByteLength } from './weights';

/**
 * Options of {@link loadTfjs}.
 *
 * @example
 * await loadTfjs('model.json', { layout: 'nchw' });
 */
export type LoadTfjsOptions = Omit<DecodeTfjsOptions, 'file'>;

/**
 * Options of {@link saveTfjs}.
 *
 * @example
 * await saveTfjs(graph, 'out', { protect: ['model.json'], shardBytes: 1 << 20 });
 */
export interface SaveTfjsOptions extends Omit<EncodeTfjsOptions, 'file'> {
  /** Paths that must not be overwritten (usually the input model): `MC_OUTPUT_IS_INPUT`. */
  protect?: readonly string[];
}

/**
 * Where {@link saveTfjs} wrote the model.
 *
 * @example
 * const { modelPath, shardPaths }: SavedTfjs = await saveTfjs(graph, 'out');
 */
export interface SavedTfjs {
  modelPath: string;
  shardPaths: string[];
}

async function resolveModelPath(path: string): Promise<string> {
  const info = await stat(path).catch((error: unknown) => {
    throw new MetacompressError(
      ErrorCodes.FILE_NOT_FOUND,
      'the model path does not exist',
      { file: path },
      { cause: error },
    );
  });
  if (info.isDirectory()) {
    const inside = join(path, 'model.json');
    const json = await stat(inside).catch(() => undefined);
    if (!json?.isFile())
      throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, 'the folder has no model.json', {
        file: inside,
      });
    return inside;
  }
  if (!info.isFile())
    throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'the model path is not a file', { file: path });
  return path;
}

/**
 * Reads a TF.js LayersModel (`model.json`, or a folder holding one) and its weight shards, and
 * decodes it with {@link decodeTfjs}. Shard paths must stay inside the model's folder
 * (`MC_EXTERNAL_DATA_PATH`); a missing shard or shards shorter than their manifest group throw
 * `MC_EXTERNAL_DATA_MISSING` naming the shard file.
 *
 * @example
 * const graph = await loadTfjs('models/mnist-cnn/model.json');
 * graph.inputs[0].type; // NHWC: { kind: 'tensor', elemType: 1, shape: ['N', 28, 28, 1] }
 */
export async function loadTfjs(path: string, options: LoadTfjsOptions = {}): Promise<Graph> {
  const modelPath = await resolveModelPath(path);
  const json = parseTfjsModelJson(await readFile(modelPath), { file: modelPath });
  const folder = dirname(resolve(modelPath));
  const parts: Uint8Array[] = [];
  for (const [gi, group] of json.weightsManifest.entries()) {
    const need = group.weights.reduce((a, w) => a + weightByteLength(w, modelPath), 0);
    let have = 0;
    let last = modelPath;
    for (const [pi, p] of group.paths.entries()) {
      const location = checkExternalLocation(p, {
        file: modelPath,
        path: `weightsManifest[${gi}].paths[${pi}]`,
      });
      const shard = join(folder, ...location.split('/'));
      const bytes = await readFile(shard).catch((error: unknown) => {
        throw new MetacompressError(
          ErrorCodes.EXTERNAL_DATA_MISSING,
          `weight shard '${p}' listed in the manifest cannot be read`,
          { file: shard, field: `weightsManifest[${gi}].paths[${pi}]` },
          { cause: error },
        );
      });
      parts.push(bytes);
      have += bytes.byteLength;
      last = shard;
    }
    if (have < need) {
      throw new MetacompressError(
        ErrorCodes.EXTERNAL_DATA_MISSING,
        `the shards of weights group ${gi} hold ${have} bytes but its ${group.weights.length} weights need ${need}`,
        {
          file: last,
          field: `weightsManifest[${gi}]`,
        },
      );
    }
    if (have > need) {
      // Keep the groups aligned: extra bytes in one group would shift every later weight.
      parts[parts.length - 1] = parts[parts.length - 1].subarray(
        0,
        parts[parts.length - 1].byteLength - (have - need),
      );
    }
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.byteLength;
  }
  return decodeTfjs(json, data, { ...options, file: modelPath });
}

/**
 * Encodes a graph with {@link encodeTfjs} and writes `model.json` plus `group1-shardKofN.bin`
 * weight shards (4 MiB each by default), every file atomically; the shards are written before
 * `model.json`, so a reader never sees a model pointing at missing or half-written shards.
 * `path` is a folder (model.json goes inside) or a path ending in `.json`.
 *
 * @example
 * const { modelPath } = await saveTfjs(graph, 'out/lenet5-tfjs');
 * // out/lenet5-tfjs/model.json, out/lenet5-tfjs/group1-shard1of1.bin
 */
export async function saveTfjs(
  graph: Graph,
  path: string,
  options: SaveTfjsOptions = {},
): Promise<SavedTfjs> {
  const modelPath = path.toLowerCase().endsWith('.json') ? path : join(path, 'model.json');
  const folder = dirname(resolve(modelPath));
  const protect = options.protect ?? [];
  const { modelJson, weightData } = encodeTfjs(graph, { ...options, file: modelPath });
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  const shardPaths = modelJson.weightsManifest[0].paths.map((name) => join(folder, name));
  // Check every target before writing anything, so a refused save leaves no file changed.
  for (const target of [modelPath, ...shardPaths]) {
    if (protect.some((p) => resolve(p) === resolve(target))) {
      throw new MetacompressError(ErrorCodes.OUTPUT_IS_INPUT, 'refusing to overwrite the input', {
        file: target,
      });
    }
  }
  if (shardPaths.some((shard) => resolve(shard) === resolve(modelPath))) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'a weight shard would overwrite model.json', {
      file: modelPath,
    });
  }
  for (const [i, shard] of shardPaths.entries()) {
    await writeFileAtomic(
      shard,
      weightData.subarray(i * shardBytes, Math.min(weightData.byteLength, (i + 1) * shardBytes)),
      { protect },
    );
  }
  await writeFileAtomic(modelPath, `${JSON.stringify(modelJson)}\n`, { protect });
  return { modelPath: resolve(modelPath), shardPaths: shardPaths.map((p) => resolve(p)) };
}
