import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS, describeIdxMagic, readIdx, readIdxFile, writeIdx } from './idx';
import { caught, put, tempDir } from './test-fixtures';

describe('idx', () => {
  let dir = '';
  let cleanup = async () => {};
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('round-trips every idx type with big-endian values', () => {
    const cases = [
      new Uint8Array([0, 1, 255, 7, 8, 9]),
      new Int8Array([-128, 127, 0, 1, -1, 5]),
      new Int16Array([-30000, 30000, 1, 2, 3, 258]),
      new Int32Array([-2e9, 2e9, 1, 2, 3, 65536]),
      new Float32Array([0.5, -1.25, 3, 4, 5, 6]),
      new Float64Array([Math.PI, -Math.E, 1e-300, 4, 5, 6]),
    ];
    for (const data of cases) {
      const bytes = writeIdx({ dims: [2, 3], data });
      const back = readIdx(bytes);
      expect(back.dims).toEqual([2, 3]);
      expect(back.data.constructor).toBe(data.constructor);
      expect(Array.from(back.data)).toEqual(Array.from(data));
    }
    // Big-endian: the int16 258 is stored as 0x01 0x02.
    const bytes = writeIdx({ dims: [1], data: new Int16Array([258]) });
    expect(Array.from(bytes.subarray(8))).toEqual([1, 2]);
  });

  it('writes the MNIST magic numbers and reads gzipped files', () => {
    const images = writeIdx({ dims: [1, 2, 2], data: new Uint8Array([1, 2, 3, 4]) });
    const labels = writeIdx({ dims: [1], data: new Uint8Array([3]) });
    expect(readIdx(images).magic).toBe(IDX_MAGIC_IMAGES);
    expect(readIdx(labels).magic).toBe(IDX_MAGIC_LABELS);
    expect(describeIdxMagic(IDX_MAGIC_IMAGES)).toBe('0x00000803 (uint8, rank 3)');
    const back = readIdx(new Uint8Array(gzipSync(images)));
    expect(back.dims).toEqual([1, 2, 2]);
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4]);
  });

  it('rejects a wrong magic number, naming the file', async () => {
    const path = await put(dir, 'bad-magic', new Uint8Array([0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0]));
    const error = await caught(() => readIdxFile(path));
    expect(error.code).toBe('MC_DATA_FORMAT');
    expect(error.details.file).toBe(path);
    expect(error.message).toContain('0x12340801');
    expect(error.message).toContain(path);
    const unknownType = await caught(() => readIdx(new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 0])));
    expect(unknownType.code).toBe('MC_DATA_FORMAT');
  });

  it('rejects truncated headers, truncated data and trailing bytes', async () => {
    const good = writeIdx({ dims: [3, 2, 2], data: new Uint8Array(12) });
    const shortHeader = await caught(() => readIdx(good.subarray(0, 10), { file: 'x' }));
    expect(shortHeader.code).toBe('MC_DATA_FORMAT');
    expect(shortHeader.message).toMatch(/truncated/);
    const shortData = await caught(() => readIdx(good.subarray(0, good.length - 1), { file: 'x' }));
    expect(shortData.message).toMatch(/truncated.*\[3, 2, 2\].*12 bytes.*11/);
    const longer = new Uint8Array(good.length + 2);
    longer.set(good);
    expect((await caught(() => readIdx(longer))).message).toMatch(/2 bytes after the data/);
    expect((await caught(() => readIdx(new Uint8Array([0, 0])))).message).toMatch(/truncated/);
  });

  it('checks huge dims against the file size before allocating', async () => {
    const bytes = new Uint8Array([0, 0, 0x08, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 1, 2]);
    const error = await caught(() => readIdx(bytes));
    expect(error.code).toBe('MC_DATA_FORMAT');
    expect(error.message).toMatch(/truncated/);
  });

  it('names a missing file', async () => {
    const error = await caught(() => readIdxFile(`${dir}/nope`));
    expect(error.code).toBe('MC_FILE_NOT_FOUND');
    expect(error.details.file).toBe(`${dir}/nope`);
    expect((await caught(() => readIdxFile(dir))).code).toBe('MC_NOT_A_FILE');
  });
});
