import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from './npy';
import { loadNpyDataset } from './npy-dataset';
import { caught, put, tempDir } from './test-fixtures';

describe('loadNpyDataset', () => {
  let dir = '';
  let cleanup = async () => {};
  let y = '';
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    y = await put(dir, 'y.npy', writeNpy({ dims: [2], data: new BigInt64Array([1n, 0n]) }));
  });
  afterAll(() => cleanup());

  it('guesses channels-last and channels-first image storage', async () => {
    const hwc = await put(dir, 'hwc.npy', writeNpy({ dims: [2, 4, 5, 3], data: new Uint8Array(120) }));
    expect((await loadNpyDataset({ images: hwc, labels: y })).image).toEqual({ height: 4, width: 5, channels: 3 });
    const chw = await put(dir, 'chw.npy', writeNpy({ dims: [2, 3, 4, 5], data: new Float32Array(120) }));
    const ds = await loadNpyDataset({ images: chw, labels: y });
    expect(ds.image).toEqual({ height: 4, width: 5, channels: 3 });
    expect(ds.sampleShape).toEqual([3, 4, 5]);
    expect(ds.normalization.scale).toBe(1);
    const plain = await loadNpyDataset({ images: chw, labels: y, imageStorage: 'none' });
    expect(plain.image).toBeUndefined();
    expect(plain.layout).toBe('custom');
  });

  it('reads rank-2 samples as gray images and rank-1 samples as vectors', async () => {
    const hw = await put(dir, 'hw.npy', writeNpy({ dims: [2, 3, 3], data: new Uint8Array(18) }));
    expect((await loadNpyDataset({ images: hw, labels: y })).sampleShape).toEqual([1, 3, 3]);
    const flat = await put(dir, 'flat.npy', writeNpy({ dims: [2, 9], data: new Float64Array(18) }));
    expect((await loadNpyDataset({ images: flat, labels: y })).image).toBeUndefined();
  });

  it('refuses count mismatches, non-vector labels and non-integer labels', async () => {
    const three = await put(dir, 'three.npy', writeNpy({ dims: [3, 2], data: new Float32Array(6) }));
    const mismatch = await caught(() => loadNpyDataset({ images: three, labels: y }));
    expect(mismatch.code).toBe('MC_SHAPE_MISMATCH');
    expect(mismatch.message).toMatch(/3 samples.*2 labels/);
    const matrix = await put(dir, 'ymat.npy', writeNpy({ dims: [3, 1], data: new Int32Array(3) }));
    expect((await caught(() => loadNpyDataset({ images: three, labels: matrix }))).details.file).toBe(matrix);
    const fractional = await put(dir, 'yfrac.npy', writeNpy({ dims: [3], data: new Float32Array([0, 1.5, 2]) }));
    const error = await caught(() => loadNpyDataset({ images: three, labels: fractional }));
    expect(error.code).toBe('MC_DATA_FORMAT');
    expect(error.details.file).toBe(fractional);
  });
});
