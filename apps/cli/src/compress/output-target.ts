import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/** Where `compress` writes the model and its reports. */
export interface OutputTarget {
  format: 'onnx' | 'tfjs';
  /** The ONNX file, or the TF.js `model.json`. */
  modelPath: string;
  reportJson: string;
  reportHtml: string;
}

/**
 * Decides the output format and paths: TF.js when `-o` is a folder (existing, or ending in `/`)
 * or a `model.json`, ONNX otherwise; reports go beside the model (`<name>.report.json|html`).
 * Refuses an output that is the input (or the input's folder, for TF.js).
 *
 * @example
 * await outputTarget('small.onnx', 'model.onnx', process.cwd()); // { format: 'onnx', reportJson: 'small.report.json', … }
 */
export async function outputTarget(out: string, input: string, cwd: string, reportPrefix?: string): Promise<OutputTarget> {
  const full = resolve(cwd, out);
  const info = await stat(full).catch(() => undefined);
  const isFolder = info?.isDirectory() || /[\\/]$/.test(out) || (!info && extname(full) === '');
  const tfjs = isFolder || basename(full).toLowerCase() === 'model.json';
  const modelPath = isFolder ? join(full, 'model.json') : full;
  if (info?.isDirectory() && !tfjs) throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'the output path is a directory', { file: out });
  const inputFull = resolve(cwd, input);
  if (modelPath === inputFull || full === inputFull || (tfjs && dirname(modelPath) === dirname(inputFull) && basename(inputFull) === 'model.json')) {
    throw new MetacompressError(ErrorCodes.OUTPUT_IS_INPUT, 'the output would overwrite the input model', { file: out });
  }
  const prefix = reportPrefix ? resolve(cwd, reportPrefix) : tfjs ? join(dirname(modelPath), 'report') : modelPath.replace(/\.onnx$/i, '') + '.report';
  return { format: tfjs ? 'tfjs' : 'onnx', modelPath, reportJson: `${prefix}.json`, reportHtml: `${prefix}.html` };
}
