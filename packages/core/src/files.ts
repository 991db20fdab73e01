import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCodes, MetacompressError } from './errors';

/**
 * Writes a file atomically: the bytes go to a temporary file in the same folder, which is then
 * renamed over the target, so readers never see a half-written file. Refuses to write over `protect`.
 *
 * @example
 * await writeFileAtomic('small.onnx', bytes, { protect: ['model.onnx'] });
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: { protect?: readonly string[] } = {},
): Promise<void> {
  const target = resolve(path);
  for (const p of options.protect ?? []) {
    if (resolve(p) === target) {
      throw new MetacompressError(ErrorCodes.OUTPUT_IS_INPUT, 'refusing to overwrite the input', { file: path });
    }
  }
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'the output path is a directory', { file: path });
  }
  await mkdir(dirname(target), { recursive: true });
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
