import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ErrorCodes, MetacompressError, writeFileAtomic } from '@metacompress/core';
import type { NamedArray } from './named-array';

/**
 * What a checkpoint file holds: JSON `state` (step, data position, seed, schedule, history…) and
 * float32 arrays grouped in named sections (`weights`, `optimizer`, `adapters`, `best`…).
 *
 * @example
 * const ck: Checkpoint = { state: { step: 10 }, sections: { weights: [{ name: 'w', dims: [2], data: new Float32Array(2) }] } };
 */
export interface Checkpoint {
  state: Record<string, unknown>;
  sections: Record<string, NamedArray[]>;
}

/**
 * The first bytes of a checkpoint file.
 *
 * @example
 * new TextDecoder().decode(bytes.subarray(0, 8)) === CHECKPOINT_MAGIC;
 */
export const CHECKPOINT_MAGIC = 'MCCKPT01';
const MAX_HEADER = 64 * 1024 * 1024;

interface HeaderEntry {
  section: string;
  name: string;
  dims: number[];
  offset: number;
  length: number;
}

/**
 * Serializes a checkpoint: the magic `MCCKPT01`, a little-endian u32 header length, a JSON header
 * (the state, an index of the arrays, the SHA-256 of the payload), zero padding to 4 bytes, then
 * the raw little-endian float32 payload.
 *
 * @example
 * const bytes = encodeCheckpoint({ state: { step: 3 }, sections: {} });
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const entries: HeaderEntry[] = [];
  let offset = 0;
  for (const [section, arrays] of Object.entries(checkpoint.sections)) {
    for (const a of arrays) {
      const expected = a.dims.reduce((x, y) => x * y, 1);
      if (expected !== a.data.length) {
        throw new MetacompressError(
          ErrorCodes.SHAPE_MISMATCH,
          `array has ${a.data.length} values but shape [${a.dims.join(', ')}]`,
          {
            field: `${section}.${a.name}`,
          },
        );
      }
      entries.push({ section, name: a.name, dims: [...a.dims], offset, length: a.data.length });
      offset += a.data.length;
    }
  }
  const payload = new Uint8Array(offset * 4);
  const view = new DataView(payload.buffer);
  let i = 0;
  for (const arrays of Object.values(checkpoint.sections)) {
    for (const a of arrays)
      for (let k = 0; k < a.data.length; k++, i++) view.setFloat32(i * 4, a.data[k]!, true);
  }
  const sha256 = createHash('sha256').update(payload).digest('hex');
  const header = new TextEncoder().encode(
    JSON.stringify({ state: checkpoint.state, arrays: entries, sha256 }),
  );
  const start = 8 + 4 + header.length;
  const padded = Math.ceil(start / 4) * 4;
  const out = new Uint8Array(padded + payload.length);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(payload, padded);
  return out;
}

function invalid(reason: string, file: string | undefined, field?: string): MetacompressError {
  return new MetacompressError(ErrorCodes.CHECKPOINT_INVALID, reason, {
    ...(file ? { file } : {}),
    ...(field ? { field } : {}),
  });
}

/**
 * Parses bytes written by {@link encodeCheckpoint}. Truncated, corrupted (payload hash mismatch) or
 * foreign files throw `MC_CHECKPOINT_INVALID` naming the file.
 *
 * @example
 * const { state, sections } = decodeCheckpoint(bytes, { file: 'run.ckpt' });
 */
export function decodeCheckpoint(bytes: Uint8Array, options: { file?: string } = {}): Checkpoint {
  const file = options.file;
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== CHECKPOINT_MAGIC) {
    throw invalid(`not a Metacompress fine-tune checkpoint (expected the magic '${CHECKPOINT_MAGIC}')`, file);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (headerLength > MAX_HEADER || 12 + headerLength > bytes.length)
    throw invalid('the file ends inside its header (truncated)', file);
  let header: { state?: unknown; arrays?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (error) {
    throw invalid(`the header is not valid JSON (${(error as Error).message})`, file);
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    typeof header.state !== 'object' ||
    header.state === null ||
    !Array.isArray(header.arrays)
  ) {
    throw invalid('the header lacks its state or array index', file);
  }
  const start = Math.ceil((12 + headerLength) / 4) * 4;
  const payload = bytes.subarray(start);
  let total = 0;
  for (const e of header.arrays as HeaderEntry[]) {
    const ok =
      typeof e === 'object' &&
      e !== null &&
      typeof e.section === 'string' &&
      typeof e.name === 'string' &&
      Array.isArray(e.dims) &&
      e.dims.every((d) => Number.isInteger(d) && d >= 0) &&
      Number.isInteger(e.offset) &&
      Number.isInteger(e.length) &&
      e.offset === total &&
      e.dims.reduce((a, b) => a * b, 1) === e.length;
    if (!ok) throw invalid('the array index is malformed', file, 'arrays');
    total += e.length;
  }
  if (payload.length < total * 4)
    throw invalid(
      `the payload holds ${payload.length} bytes, the index needs ${total * 4} (truncated)`,
      file,
    );
  if (payload.length > total * 4) throw invalid('the payload is longer than its index', file);
  if (createHash('sha256').update(payload).digest('hex') !== header.sha256) {
    throw invalid('the payload does not match its SHA-256 (corrupted)', file);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const sections: Record<string, NamedArray[]> = {};
  for (const e of header.arrays as HeaderEntry[]) {
    const data = new Float32Array(e.length);
    for (let k = 0; k < e.length; k++) data[k] = view.getFloat32((e.offset + k) * 4, true);
    (sections[e.section] ??= []).push({ name: e.name, dims: e.dims, data });
  }
  return { state: header.state as Record<string, unknown>, sections };
}

/**
 * Writes a checkpoint atomically (core's `writeFileAtomic`: temp file + rename), so an interrupted
 * write never leaves a half-written checkpoint behind.
 *
 * @example
 * await saveCheckpoint('runs/finetune.ckpt', checkpoint);
 */
export async function saveCheckpoint(
  path: string,
  checkpoint: Checkpoint,
  options: { protect?: readonly string[] } = {},
): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(checkpoint), options);
}

/**
 * Reads a checkpoint file; a missing file throws `MC_FILE_NOT_FOUND`, a bad one `MC_CHECKPOINT_INVALID`.
 *
 * @example
 * const ck = await loadCheckpoint('runs/finetune.ckpt');
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new MetacompressError(
        ErrorCodes.FILE_NOT_FOUND,
        'no checkpoint at this path',
        { file: path },
        { cause: error },
      );
    if (code === 'EISDIR')
      throw new MetacompressError(
        ErrorCodes.NOT_A_FILE,
        'the checkpoint path is a directory',
        { file: path },
        { cause: error },
      );
    throw error;
  }
  return decodeCheckpoint(bytes, { file: path });
}
