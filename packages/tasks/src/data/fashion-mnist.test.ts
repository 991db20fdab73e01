import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_STATS,
  FASHION_MNIST_TEST_PER_CLASS,
  clearFashionMnistCache,
  fashionMnistDir,
  loadFashionMnist,
  parseFashionMnistClass,
} from './fashion-mnist';
import { caught } from './test-fixtures';
import type { TensorDataset } from './tensor-dataset';

const record = (seed: number) => `[${Array.from({ length: 784 }, (_, i) => (i * 7 + seed) % 256).join(',')}]`;
const bytes = (text: string) => new TextEncoder().encode(text);

/** Sum of raw pixel values per class. */
function sumsByClass(ds: TensorDataset): number[] {
  const sums = new Array<number>(10).fill(0);
  for (const { inputs, labels } of ds.normalize({ scale: 1 }).batches(4000)) {
    for (let k = 0; k < labels.length; k++) {
      let s = 0;
      for (let j = k * 784; j < (k + 1) * 784; j++) s += inputs.data[j];
      sums[labels[k]] += s;
    }
  }
  return sums;
}

describe('parseFashionMnistClass', () => {
  it('decodes records in order and skips empty ones', () => {
    const parsed = parseFashionMnistClass(bytes(`{"data":[${record(1)}, [], ${record(2)}\n]}`));
    expect(parsed.count).toBe(2);
    expect(parsed.skippedEmpty).toBe(1);
    expect(parsed.pixels[0]).toBe(1);
    expect(parsed.pixels[784 + 3]).toBe(23);
  });

  it('rejects wrong record lengths, large values, stray characters and truncation', async () => {
    const short = await caught(() => parseFashionMnistClass(bytes('{"data":[[1,2,3]]}'), { file: '3.json' }));
    expect(short.code).toBe('MC_DATA_FORMAT');
    expect(short.message).toMatch(/3 values, expected 784/);
    expect(short.details.file).toBe('3.json');
    expect((await caught(() => parseFashionMnistClass(bytes(`{"data":[${record(1).replace('[1,', '[256,')}]}`)))).message).toMatch(/over 255/);
    expect((await caught(() => parseFashionMnistClass(bytes(`{"data":[${record(1).replace('[1,', '[0.5,')}]}`)))).message).toMatch(/unexpected character '\.'/);
    expect((await caught(() => parseFashionMnistClass(bytes(`{"data":[${record(1)}`)))).message).toMatch(/truncated/);
    expect((await caught(() => parseFashionMnistClass(bytes(`{"data":[[${record(1)}]]}`)))).message).toMatch(/unexpected '\['/);
  });
});

describe('Fashion-MNIST from the fashion-mnist package', () => {
  it('splits the 70,000 images 60,000 / 10,000, stratified, by index within each class file', async () => {
    const train = await loadFashionMnist({ split: 'train' });
    const test = await loadFashionMnist({ split: 'test' });
    expect(train.name).toBe('fashion-mnist/train');
    expect(train.length).toBe(60000);
    expect(test.length).toBe(10000);
    expect(train.sampleShape).toEqual([1, 28, 28]);
    expect(train.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(train.classCounts()).toEqual(new Array(10).fill(6000));
    expect(test.classCounts()).toEqual(new Array(10).fill(1000));
    // Classes are interleaved: the first 100 samples are not all one class.
    expect(new Set(train.labels().subarray(0, 100)).size).toBeGreaterThan(5);
    // The test split of class c is exactly the first 1000 records of c.json, the train split the rest.
    const testSums = sumsByClass(test);
    const trainSums = sumsByClass(train);
    for (const c of [0, 9]) {
      const parsed = parseFashionMnistClass(new Uint8Array(await readFile(join(fashionMnistDir(), `${c}.json`))));
      let head = 0;
      let rest = 0;
      parsed.pixels.forEach((v, i) => (i < FASHION_MNIST_TEST_PER_CLASS * 784 ? (head += v) : (rest += v)));
      expect(testSums[c]).toBe(head);
      expect(trainSums[c]).toBe(rest);
    }
    const total = trainSums.reduce((s, v) => s + v, 0) / (60000 * 784 * 255);
    expect(total).toBeCloseTo(FASHION_MNIST_STATS.mean, 3);
  });

  it('gives the same order after reloading', async () => {
    const first = await loadFashionMnist({ split: 'test' });
    clearFashionMnistCache();
    const second = await loadFashionMnist({ split: 'test' });
    expect(second === first).toBe(false); // (not.toBe would deep-compare the arrays)
    expect(Array.from(second.labels())).toEqual(Array.from(first.labels()));
    const a = first.toBatch({ limit: 50 }).inputs.data;
    const b = second.toBatch({ limit: 50 }).inputs.data;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('names the missing class file', async () => {
    const error = await caught(() => loadFashionMnist({ dir: '/nonexistent-fashion' }));
    expect(error.code).toBe('MC_FILE_NOT_FOUND');
    expect(error.details.file).toBe('/nonexistent-fashion/0.json');
  });
});
