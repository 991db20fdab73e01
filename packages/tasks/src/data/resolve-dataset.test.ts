import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIdx } from './idx';
import { writeNpy } from './npy';
import { resolveDataset } from './resolve-dataset';
import { caught, put, tempDir } from './test-fixtures';

function grayPng(value: number): Uint8Array {
  return PNG.sync.write({ width: 4, height: 4, data: new Uint8Array(64).fill(value) });
}

describe('resolveDataset', () => {
  let dir = '';
  let cleanup = async () => {};
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // idx pair for each split
    const images = (n: number) => writeIdx({ dims: [n, 4, 4], data: Uint8Array.from({ length: n * 16 }, (_, i) => i % 256) });
    const labels = (n: number) => writeIdx({ dims: [n], data: Uint8Array.from({ length: n }, (_, i) => i % 3) });
    await put(dir, 'idx/train-images-idx3-ubyte', images(6));
    await put(dir, 'idx/train-labels-idx1-ubyte', labels(6));
    await put(dir, 'idx/t10k-images-idx3-ubyte', images(3));
    await put(dir, 'idx/t10k-labels-idx1-ubyte', labels(3));
    // npy pairs
    await put(dir, 'npy/x_test.npy', writeNpy({ dims: [2, 16], data: new Float32Array(32).fill(0.5) }));
    await put(dir, 'npy/y_test.npy', writeNpy({ dims: [2], data: new BigInt64Array([1n, 0n]) }));
    // image folders with and without splits
    await put(dir, 'images/train/cat/1.png', grayPng(10));
    await put(dir, 'images/train/dog/1.png', grayPng(20));
    await put(dir, 'images/test/cat/1.png', grayPng(30));
    await put(dir, 'images/test/dog/1.png', grayPng(40));
    await put(dir, 'calib/a/1.png', grayPng(50));
    // mismatched pair
    await put(dir, 'bad/train-images-idx3-ubyte', images(5));
    await put(dir, 'bad/train-labels-idx1-ubyte', labels(4));
  });
  afterAll(() => cleanup());

  it('resolves the built-in names and fits the model input', async () => {
    const test = await resolveDataset('mnist', { split: 'test', inputShape: ['N', 784], numClasses: 10 });
    expect(test.name).toBe('mnist/test');
    expect(test.length).toBe(10000);
    expect(test.sampleShape).toEqual([784]);
    const normalized = await resolveDataset('MNIST', { split: 'test', mean: 0.1307, std: 0.3081 });
    expect(normalized.normalization).toMatchObject({ mean: [0.1307], std: [0.3081] });
    const error = await caught(() => resolveDataset('mnist', { split: 'test', inputShape: ['N', 3, 224, 224], inputName: 'pixel_values' }));
    expect(error.code).toBe('MC_SHAPE_MISMATCH');
    expect(error.message).toMatch(/'mnist\/test'.*\[1, 28, 28\].*'pixel_values' \[N, 3, 224, 224\]/);
    expect((await caught(() => resolveDataset('mnist', { split: 'test', numClasses: 5 }))).code).toBe('MC_LABEL_OUT_OF_RANGE');
  });

  it('finds idx pairs in a folder by split, and an idx labels file beside its images', async () => {
    const train = await resolveDataset('idx', { cwd: dir });
    expect(train.length).toBe(6);
    expect(train.name).toBe('idx/train');
    expect(Array.from(train.labels())).toEqual([0, 1, 2, 0, 1, 2]);
    expect((await resolveDataset(`${dir}/idx`, { split: 'test' })).length).toBe(3);
    const byFile = await resolveDataset(`${dir}/idx/t10k-images-idx3-ubyte`, { inputShape: ['N', 4, 4, 1] });
    expect(byFile.length).toBe(3);
    expect(byFile.layout).toBe('nhwc');
  });

  it('finds npy pairs and reshapes flat samples to the model input', async () => {
    const ds = await resolveDataset(`${dir}/npy`, { split: 'test', inputShape: ['N', 1, 4, 4] });
    expect(ds.sampleShape).toEqual([1, 4, 4]);
    expect(Array.from(ds.labels())).toEqual([1, 0]);
    expect(ds.toBatch().inputs.data[0]).toBe(0.5);
    const byFile = await resolveDataset(`${dir}/npy/x_test.npy`);
    expect(byFile.length).toBe(2);
    const labelsGiven = await resolveDataset(`${dir}/npy/x_test.npy`, { labels: `${dir}/npy/y_test.npy`, numClasses: 4 });
    expect(labelsGiven.numClasses).toBe(4);
  });

  it('reads image folders by split, or whole when they have no split', async () => {
    const test = await resolveDataset(`${dir}/images`, { split: 'test' });
    expect(test.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(test.normalize({ scale: 1 }).toBatch().inputs.data.subarray(0, 1))).toEqual([30]);
    const calib = await resolveDataset(`${dir}/calib`, { split: 'test', inputShape: ['N', 16] });
    expect(calib.length).toBe(1);
    expect(calib.sampleShape).toEqual([16]);
  });

  it('gives typed errors for missing paths, labels and splits, and count mismatches', async () => {
    const missing = await caught(() => resolveDataset('nope', { cwd: dir }));
    expect(missing.code).toBe('MC_FILE_NOT_FOUND');
    expect(missing.message).toMatch(/neither a built-in dataset/);
    await put(dir, 'lonely/data.npy', writeNpy({ dims: [1, 2], data: new Float32Array(2) }));
    const noLabels = await caught(() => resolveDataset(`${dir}/lonely/data.npy`));
    expect(noLabels.code).toBe('MC_FILE_NOT_FOUND');
    expect(noLabels.details.file).toBe(`${dir}/lonely/data.npy`);
    await put(dir, 'onlytrain/train/a/1.png', grayPng(1));
    expect((await caught(() => resolveDataset(`${dir}/onlytrain`, { split: 'test' }))).message).toMatch(/no 'test' split/);
    const counts = await caught(() => resolveDataset(`${dir}/bad`));
    expect(counts.code).toBe('MC_SHAPE_MISMATCH');
    expect(counts.message).toMatch(/holds 5 samples.*holds 4 labels/);
    expect((await caught(() => resolveDataset('mnist', { split: 'valid' as 'test' }))).details.field).toBe('split');
  });
});
