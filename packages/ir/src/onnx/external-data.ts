import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, posix, resolve, sep, win32 } from 'node:path';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { ExternalDataRef } from '../tensor';
import { detailsOf, fail, type Where } from './wire-errors';

/**
 * Checks an ONNX external-data `location` without touching the file system and returns it in
 * normalized POSIX form: it must be a non-empty relative path that stays inside the model's folder.
 * Throws `MC_EXTERNAL_DATA_PATH` for absolute paths, drive letters, NUL bytes and `..` escapes.
 *
 * @example
 * checkExternalLocation('weights/model.data', { path: 'location' }); // 'weights/model.data'
 * checkExternalLocation('../secret', { path: 'location' }); // throws MC_EXTERNAL_DATA_PATH
 */
export function checkExternalLocation(location: string, where: Where): string {
  if (location.length === 0)
    fail(ErrorCodes.EXTERNAL_DATA_PATH, 'the external-data location is empty', where);
  if (location.includes('\0'))
    fail(ErrorCodes.EXTERNAL_DATA_PATH, 'the external-data location contains a NUL byte', where);
  const slashed = location.replace(/\\/g, '/');
  if (
    isAbsolute(location) ||
    posix.isAbsolute(slashed) ||
    win32.isAbsolute(location) ||
    /^[A-Za-z]:/.test(location)
  ) {
    fail(
      ErrorCodes.EXTERNAL_DATA_PATH,
      `the external-data location '${location}' is absolute; it must be relative to the model's folder`,
      where,
    );
  }
  const normalized = posix.normalize(slashed);
  if (normalized === '..' || normalized.startsWith('../') || normalized === '.' || normalized.endsWith('/')) {
    fail(
      ErrorCodes.EXTERNAL_DATA_PATH,
      `the external-data location '${location}' leaves the model's folder`,
      where,
    );
  }
  return normalized;
}

function parseCount(text: string | undefined, key: string, where: Where): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,16}$/.test(text.trim())) {
    fail(
      ErrorCodes.MODEL_INVALID,
      `external_data '${key}' must be a non-negative integer, got '${text}'`,
      where,
      `${where.path}.external_data.${key}`,
    );
  }
  return Number(text.trim());
}

/**
 * Reads the `external_data` key/value entries of a TensorProto into an {@link ExternalDataRef},
 * validating `location` (see {@link checkExternalLocation}) and the integer keys.
 *
 * @example
 * parseExternalData([{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '4096' }], where);
 * // { location: 'w.bin', offset: 4096 }
 */
export function parseExternalData(
  entries: readonly { key?: string; value?: string }[],
  where: Where,
): ExternalDataRef {
  const map = new Map<string, string>();
  for (const e of entries) map.set(e.key ?? '', e.value ?? '');
  const location = map.get('location');
  if (location === undefined) {
    fail(
      ErrorCodes.MODEL_INVALID,
      'the tensor is stored externally but has no external_data location',
      where,
      `${where.path}.external_data`,
    );
  }
  checkExternalLocation(location, { ...where, path: `${where.path}.external_data.location` });
  const ref: ExternalDataRef = { location };
  const offset = parseCount(map.get('offset'), 'offset', where);
  const length = parseCount(map.get('length'), 'length', where);
  if (offset !== undefined) ref.offset = offset;
  if (length !== undefined) ref.length = length;
  const checksum = map.get('checksum');
  if (checksum !== undefined) ref.checksum = checksum;
  return ref;
}

/**
 * Reads external tensor data relative to a model's folder, keeping each file open for the duration
 * of one decode. Paths are checked lexically and again after resolving symbolic links: a file whose
 * real path lies outside the folder is refused with `MC_EXTERNAL_DATA_PATH`; a missing or short file
 * gives `MC_EXTERNAL_DATA_MISSING`. Sizes are checked before any buffer is allocated.
 *
 * @example
 * const reader = new ExternalDataReader('/models/resnet');
 * try { const bytes = reader.read({ location: 'resnet.data', offset: 0, length: 64 }, 64, where) } finally { reader.close() }
 */
export class ExternalDataReader {
  private readonly baseDir: string;
  private realBase: string | undefined;
  private readonly open = new Map<string, { fd: number; size: number }>();

  constructor(baseDir: string) {
    this.baseDir = resolve(baseDir);
  }

  private base(where: Where): string {
    if (this.realBase === undefined) {
      try {
        this.realBase = realpathSync(this.baseDir);
      } catch (error) {
        throw new MetacompressError(
          ErrorCodes.EXTERNAL_DATA_MISSING,
          `the model folder '${this.baseDir}' cannot be read`,
          detailsOf(where),
          { cause: error },
        );
      }
    }
    return this.realBase;
  }

  private file(location: string, where: Where): { fd: number; size: number } {
    const cached = this.open.get(location);
    if (cached) return cached;
    const field = `${where.path}.external_data.location`;
    const normalized = checkExternalLocation(location, { ...where, path: field });
    const base = this.base(where);
    const full = resolve(this.baseDir, ...normalized.split('/'));
    let real: string;
    try {
      real = realpathSync(full);
    } catch (error) {
      throw new MetacompressError(
        ErrorCodes.EXTERNAL_DATA_MISSING,
        `the external-data file '${location}' does not exist beside the model`,
        detailsOf(where, field),
        {
          cause: error,
        },
      );
    }
    if (real !== base && !real.startsWith(base.endsWith(sep) ? base : base + sep)) {
      fail(
        ErrorCodes.EXTERNAL_DATA_PATH,
        `the external-data file '${location}' resolves to '${real}', outside the model's folder`,
        where,
        field,
      );
    }
    if (!statSync(real).isFile()) {
      fail(
        ErrorCodes.EXTERNAL_DATA_MISSING,
        `the external-data location '${location}' is not a regular file`,
        where,
        field,
      );
    }
    const fd = openSync(real, 'r');
    const entry = { fd, size: fstatSync(fd).size };
    this.open.set(location, entry);
    return entry;
  }

  /**
   * Reads the bytes `ref` points at. `expected` is the byte length the tensor's dims and type need
   * (undefined when the type has no fixed width); a declared `length` must agree with it.
   */
  read(ref: ExternalDataRef, expected: number | undefined, where: Where): Uint8Array {
    const { fd, size } = this.file(ref.location, where);
    const offset = ref.offset ?? 0;
    if (ref.length !== undefined && expected !== undefined && ref.length !== expected) {
      fail(
        ErrorCodes.MODEL_INVALID,
        `external_data length ${ref.length} disagrees with the ${expected} bytes the tensor's dims and type need`,
        where,
        `${where.path}.external_data.length`,
      );
    }
    const length = ref.length ?? expected ?? Math.max(0, size - offset);
    if (offset + length > size) {
      fail(
        ErrorCodes.EXTERNAL_DATA_MISSING,
        `the external-data file '${ref.location}' holds ${size} bytes but the tensor needs bytes ${offset}..${offset + length}`,
        where,
        `${where.path}.external_data`,
      );
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n <= 0) {
        fail(
          ErrorCodes.EXTERNAL_DATA_MISSING,
          `the external-data file '${ref.location}' ended while reading`,
          where,
          `${where.path}.external_data`,
        );
      }
      done += n;
    }
    return out;
  }

  /** Closes every file this reader opened. */
  close(): void {
    for (const { fd } of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}
