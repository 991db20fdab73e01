import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMetacompressError } from '@metacompress/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type Checkpoint,
} from './checkpoint-file';

const dir = await mkdtemp(join(tmpdir(), 'distill-ckpt-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const sample: Checkpoint = {
  state: { step: 7, seed: 3, schedule: { kind: 'cosine', lr: 0.01 }, history: [{ step: 5, loss: 0.25 }] },
  sections: {
    weights: [
      {
        name: 'conv.weight',
        dims: [2, 1, 2, 2],
        data: Float32Array.from({ length: 8 }, (_, i) => i / 3 - 1),
      },
      { name: 'bias', dims: [2], data: Float32Array.from([Number.MIN_VALUE, -0]) },
    ],
    optimizer: [{ name: 'updates', dims: [], data: Float32Array.from([7]) }],
    empty: [],
  },
};

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    return isMetacompressError(error) ? error.code : `untyped: ${String(error)}`;
  }
  return undefined;
}

describe('checkpoint files', () => {
  it('round-trip state and arrays bit-exactly', async () => {
    const path = join(dir, 'a.ckpt');
    await saveCheckpoint(path, sample);
    const back = await loadCheckpoint(path);
    expect(back.state).toEqual(sample.state);
    expect(back.sections.weights!.map((a) => [a.name, a.dims])).toEqual([
      ['conv.weight', [2, 1, 2, 2]],
      ['bias', [2]],
    ]);
    expect(Buffer.from(back.sections.weights![0]!.data.buffer)).toEqual(
      Buffer.from(sample.sections.weights![0]!.data.buffer),
    );
    expect(Object.is(back.sections.weights![1]!.data[1], -0)).toBe(true);
    expect(back.sections.optimizer![0]!.data[0]).toBe(7);
    // no temporary file is left next to it
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reject truncated, corrupted and foreign files with MC_CHECKPOINT_INVALID', () => {
    const bytes = encodeCheckpoint(sample);
    expect(codeOf(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4)))).toBe('MC_CHECKPOINT_INVALID');
    expect(codeOf(() => decodeCheckpoint(bytes.subarray(0, 20)))).toBe('MC_CHECKPOINT_INVALID');
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 3] ^= 0x40;
    expect(codeOf(() => decodeCheckpoint(flipped))).toBe('MC_CHECKPOINT_INVALID');
    expect(codeOf(() => decodeCheckpoint(new TextEncoder().encode('{"state":{}}')))).toBe(
      'MC_CHECKPOINT_INVALID',
    );
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(codeOf(() => decodeCheckpoint(longer))).toBe('MC_CHECKPOINT_INVALID');
  });

  it('names the file in errors; a missing file is MC_FILE_NOT_FOUND', async () => {
    const path = join(dir, 'bad.ckpt');
    await writeFile(path, 'garbage garbage garbage');
    await expect(loadCheckpoint(path)).rejects.toMatchObject({
      code: 'MC_CHECKPOINT_INVALID',
      details: { file: path },
    });
    await expect(loadCheckpoint(join(dir, 'missing.ckpt'))).rejects.toMatchObject({
      code: 'MC_FILE_NOT_FOUND',
    });
  });

  it('refuses arrays whose shape does not match their length', () => {
    expect(
      codeOf(() =>
        encodeCheckpoint({
          state: {},
          sections: { w: [{ name: 'x', dims: [3], data: new Float32Array(2) }] },
        }),
      ),
    ).toBe('MC_SHAPE_MISMATCH');
  });

  it('overwrites an older checkpoint atomically (the new one replaces it whole)', async () => {
    const path = join(dir, 'b.ckpt');
    await saveCheckpoint(path, sample);
    await saveCheckpoint(path, { state: { step: 8 }, sections: {} });
    expect((await loadCheckpoint(path)).state).toEqual({ step: 8 });
    expect((await readFile(path)).length).toBeLessThan(encodeCheckpoint(sample).length);
  });
});
