// Helpers shared by the data tests (not exported from the package).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isMetacompressError, type MetacompressError } from '@metacompress/core';
import { expect } from 'vitest';

/** A fresh temp folder and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mc-data-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes bytes to `dir/relative`, creating folders. */
export async function put(dir: string, relative: string, bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, relative);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

/** Runs `fn` and returns the MetacompressError it throws (fails the test otherwise). */
export async function caught(fn: () => unknown): Promise<MetacompressError> {
  try {
    await fn();
  } catch (error) {
    expect(isMetacompressError(error), `expected a MetacompressError, got ${String(error)}`).toBe(true);
    return error as MetacompressError;
  }
  throw new Error('expected an error, nothing was thrown');
}

/** Decodes base64 to bytes. */
export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
