import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './files';

describe('writeFileAtomic', () => {
  it('writes the bytes and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-'));
    await writeFileAtomic(join(dir, 'out.bin'), new Uint8Array([1, 2, 3]));
    expect([...(await readFile(join(dir, 'out.bin')))]).toEqual([1, 2, 3]);
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('refuses to overwrite a protected input or write onto a directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-'));
    const input = join(dir, 'in.onnx');
    await writeFile(input, 'original');
    await expect(writeFileAtomic(input, 'x', { protect: [input] })).rejects.toMatchObject({ code: 'MC_OUTPUT_IS_INPUT' });
    await expect(writeFileAtomic(dir, 'x')).rejects.toMatchObject({ code: 'MC_NOT_A_FILE' });
    expect(await readFile(input, 'utf8')).toBe('original');
  });
});
