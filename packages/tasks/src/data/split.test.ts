import { describe, expect, it } from 'vitest';
import { splitDataset } from './split';
import { createDataset } from './tensor-dataset';
import { caught } from './test-fixtures';

function dataset(n: number, classes: number[]) {
  return createDataset({ name: 'toy', data: Float32Array.from({ length: n }, (_, i) => i), sampleShape: [1], labels: Array.from({ length: n }, (_, i) => classes[i % classes.length]) });
}

const ids = (ds: ReturnType<typeof dataset>) => Array.from(ds.toBatch().inputs.data);

describe('splitDataset', () => {
  it('partitions the samples, keeping their order', () => {
    const ds = dataset(1000, [0, 1, 2, 3]);
    const { train, validation } = splitDataset(ds, { validation: 0.1, seed: 7 });
    expect(train.length).toBe(900);
    expect(validation.length).toBe(100);
    const all = [...ids(train), ...ids(validation)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const t = ids(train);
    expect(t).toEqual([...t].sort((a, b) => a - b));
    expect(train.name).toBe('toy[train]');
    expect(validation.name).toBe('toy[validation]');
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const ds = dataset(500, [0, 1]);
    const a = ids(splitDataset(ds, { validation: 0.2, seed: 1 }).validation);
    expect(ids(splitDataset(ds, { validation: 0.2, seed: 1 }).validation)).toEqual(a);
    expect(ids(splitDataset(ds, { validation: 0.2, seed: 2 }).validation)).not.toEqual(a);
    expect(ids(splitDataset(ds, { validation: 0.2, seed: 1, stratify: false }).validation)).not.toEqual(a);
  });

  it('stratifies by class with an exact total', () => {
    // classes in proportion 1:2:7 over 1000 samples
    const labels = [0, 1, 1, 2, 2, 2, 2, 2, 2, 2];
    const ds = dataset(1000, labels);
    const { validation, train } = splitDataset(ds, { validation: 0.15, seed: 3 });
    expect(validation.length).toBe(150);
    expect(validation.classCounts()).toEqual([15, 30, 105]);
    expect(train.classCounts()).toEqual([85, 170, 595]);
    const odd = splitDataset(dataset(10, [0, 1, 2]), { validation: 5, seed: 1 }).validation;
    expect(odd.length).toBe(5);
    expect(odd.classCounts().reduce((s, c) => s + c, 0)).toBe(5);
  });

  it('accepts a count, splits views of views, and rejects bad sizes', async () => {
    const ds = dataset(100, [0, 1]);
    const { validation, train } = splitDataset(ds, { validation: 10, seed: 1 });
    expect(validation.length).toBe(10);
    const nested = splitDataset(train, { validation: 0.5, seed: 1 });
    expect(nested.train.length + nested.validation.length).toBe(90);
    expect(ids(nested.validation).every((v) => ids(train).includes(v))).toBe(true);
    expect((await caught(() => splitDataset(ds, { validation: 1.5, seed: 1 }))).details.field).toBe('validation');
    expect((await caught(() => splitDataset(ds, { validation: 101, seed: 1 }))).code).toBe('MC_INVALID_ARGUMENT');
    expect(splitDataset(ds, { validation: 0, seed: 1 }).validation.length).toBe(0);
  });
});
