import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCodes, MetacompressError, writeFileAtomic } from '@metacompress/core';
import type { Graph, GraphBody } from '../graph';
import { decodeOnnx } from './decode';
import { encodeOnnx, encodeOnnxWithExternalData } from './encode';

/** Options of {@link loadOnnx}. */
export interface LoadOnnxOptions {
  /** Read tensors stored as external data beside the model (default true). */
  loadExternal?: boolean;
}

/** Options of {@link saveOnnx}. */
export interface SaveOnnxOptions {
  /** Paths that must not be overwritten (usually the input model): `MC_OUTPUT_IS_INPUT`. */
  protect?: readonly string[];
  /**
   * External data: `false` embeds every tensor; an object writes initializers of at least `threshold`
   * bytes (default 1024) and those marked `external` to one file `location` (default
   * `<model file name>.data`) beside the model. When omitted, external data is used only if some
   * tensor is marked `external` (as loading a model with external data leaves them), for those tensors.
   */
  externalData?: false | { location?: string; threshold?: number; alignment?: number };
}

/**
 * Reads and decodes an ONNX model file, including external data stored beside it.
 * Throws `MC_FILE_NOT_FOUND`, `MC_NOT_A_FILE`, and the decode errors of {@link decodeOnnx}.
 *
 * @example
 * const graph = await loadOnnx('models/resnet18.onnx');
 * graph.initializers.length;
 */
export async function loadOnnx(path: string, options: LoadOnnxOptions = {}): Promise<Graph> {
  const info = await stat(path).catch((error: unknown) => {
    throw new MetacompressError(
      ErrorCodes.FILE_NOT_FOUND,
      'the model file does not exist',
      { file: path },
      { cause: error },
    );
  });
  if (!info.isFile())
    throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'the model path is not a file', { file: path });
  const bytes = await readFile(path);
  return decodeOnnx(bytes, {
    file: path,
    baseDir: dirname(resolve(path)),
    loadExternal: options.loadExternal ?? true,
  });
}

function anyExternal(body: GraphBody): boolean {
  if (body.initializers.some((t) => t.external !== undefined)) return true;
  for (const node of body.nodes) {
    for (const a of Object.values(node.attributes)) {
      if (a.type === 'graph' && a.value && anyExternal(a.value)) return true;
      if (a.type === 'graphs' && a.value.some(anyExternal)) return true;
    }
  }
  return false;
}

/**
 * Encodes a graph and writes it atomically (temporary file + rename), refusing to overwrite any path
 * in `protect`. With external data, the data file is written (atomically) before the model, so the
 * model never refers to a missing or half-written data file.
 *
 * @example
 * await saveOnnx(graph, 'out/small.onnx', { protect: ['model.onnx'] });
 * await saveOnnx(big, 'out/big.onnx', { externalData: { threshold: 4096 } }); // + out/big.onnx.data
 */
export async function saveOnnx(graph: Graph, path: string, options: SaveOnnxOptions = {}): Promise<void> {
  const protect = options.protect ?? [];
  for (const p of protect) {
    if (resolve(p) === resolve(path))
      throw new MetacompressError(ErrorCodes.OUTPUT_IS_INPUT, 'refusing to overwrite the input', {
        file: path,
      });
  }
  let external = options.externalData;
  if (external === undefined && anyExternal(graph)) external = { threshold: Number.POSITIVE_INFINITY };
  if (!external) {
    await writeFileAtomic(path, encodeOnnx(graph, { file: path }), { protect });
    return;
  }
  const location = external.location ?? `${basename(path)}.data`;
  const encoded = encodeOnnxWithExternalData(graph, {
    location,
    threshold: external.threshold,
    alignment: external.alignment,
    file: path,
  });
  const dataPath = join(dirname(resolve(path)), ...encoded.location.split('/'));
  if (dataPath === resolve(path)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      'the external-data location is the model file itself',
      { file: path, field: 'externalData.location' },
    );
  }
  await writeFileAtomic(dataPath, encoded.externalData, { protect });
  await writeFileAtomic(path, encoded.model, { protect });
}
