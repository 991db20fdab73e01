import { readFile, stat } from 'node:fs/promises';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * Reads a whole data file, turning missing files and folders into typed errors that name the path.
 *
 * @example
 * const bytes = await readDataFile('data/train-images-idx3-ubyte');
 */
export async function readDataFile(path: string): Promise<Uint8Array> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, `cannot open data file: ${error.code ?? error.message}`, { file: path }, { cause: error });
  });
  if (!info.isFile()) throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'expected a file, found a folder or special file', { file: path });
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Checks that `path` is a folder, turning a missing path or a file into typed errors that name the path.
 *
 * @example
 * await statFolder('calib');
 */
export async function statFolder(path: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, `cannot open folder: ${error.code ?? error.message}`, { file: path }, { cause: error });
  });
  if (!info.isDirectory()) throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'expected a folder, found a file', { file: path });
}

/**
 * Formats a shape for messages; unknown dims print as `?`.
 *
 * @example
 * formatShape(['N', 1, 28, 28]); // "[N, 1, 28, 28]"
 */
export function formatShape(dims: readonly unknown[]): string {
  return `[${dims.map((d) => (d === null || d === undefined ? '?' : String(d))).join(', ')}]`;
}
