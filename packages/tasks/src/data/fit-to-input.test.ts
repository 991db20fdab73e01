import { describe, expect, it } from 'vitest';
import { fitToInput } from './fit-to-input';
import { createDataset } from './tensor-dataset';
import { caught } from './test-fixtures';

const digits = createDataset({
  name: 'digits',
  data: Uint8Array.from({ length: 2 * 784 }, (_, i) => i % 251),
  sampleShape: [28, 28],
  labels: [3, 4],
  image: { height: 28, width: 28, channels: 1, storage: 'hwc' },
});

const rgb = createDataset({
  name: 'rgb',
  data: new Uint8Array(2 * 32 * 32 * 3),
  sampleShape: [32, 32, 3],
  labels: [0, 1],
  image: { height: 32, width: 32, channels: 3, storage: 'hwc' },
});

const vectors = createDataset({ name: 'vectors', data: new Float32Array(2 * 784), sampleShape: [784], labels: [0, 1] });

describe('fitToInput', () => {
  it('picks NCHW, NHWC, HW or flat from the model input shape', () => {
    expect(fitToInput(digits, ['N', 1, 28, 28]).sampleShape).toEqual([1, 28, 28]);
    expect(fitToInput(digits, ['N', 784]).layout).toBe('flat');
    expect(fitToInput(digits, [null, 28, 28, 1]).layout).toBe('nhwc');
    expect(fitToInput(digits, [-1, 28, 28]).layout).toBe('hw');
    expect(fitToInput(rgb, ['batch', 3, 32, 32]).layout).toBe('nchw');
    expect(fitToInput(rgb, ['batch', 32, 32, 3]).layout).toBe('nhwc');
    expect(fitToInput(rgb, ['N', 3072]).layout).toBe('flat');
    expect(fitToInput(rgb, ['N', 'C', 'H', 'W']).layout).toBe('nchw');
    expect(fitToInput(rgb, ['N', 'H', 'W', 'C'], { prefer: 'nhwc' }).layout).toBe('nhwc');
  });

  it('keeps the values: flat equals NCHW for one channel', () => {
    const a = fitToInput(digits, ['N', 784]).toBatch().inputs.data;
    const b = fitToInput(digits, ['N', 1, 28, 28]).toBatch().inputs.data;
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('reshapes when the shapes agree up to dims of size 1, or one of them is flat', () => {
    expect(fitToInput(digits, ['N', 1, 784]).sampleShape).toEqual([1, 784]);
    expect(fitToInput(vectors, ['N', 1, 28, 28]).sampleShape).toEqual([1, 28, 28]);
    expect(fitToInput(vectors, ['N', 784]).sampleShape).toEqual([784]);
  });

  it('fails with MC_SHAPE_MISMATCH naming the dataset, its sample shape and the input shape', async () => {
    const error = await caught(() => fitToInput(digits, ['N', 3, 28, 28], { inputName: 'input.1' }));
    expect(error.code).toBe('MC_SHAPE_MISMATCH');
    expect(error.message).toContain("'digits'");
    expect(error.message).toContain('[1, 28, 28]');
    expect(error.message).toContain('[N, 3, 28, 28]');
    expect(error.message).toContain("'input.1'");
    expect(error.details).toMatchObject({ dataset: 'digits', sampleShape: [1, 28, 28], inputShape: ['N', 3, 28, 28] });
    expect((await caught(() => fitToInput(digits, ['N', 1, 32, 32]))).code).toBe('MC_SHAPE_MISMATCH');
    expect((await caught(() => fitToInput(digits, ['N', 14, 56]))).code).toBe('MC_SHAPE_MISMATCH');
    expect((await caught(() => fitToInput(vectors, ['N', 'C', 28, 28]))).code).toBe('MC_SHAPE_MISMATCH');
    expect((await caught(() => fitToInput(vectors, ['N', 100]))).message).toMatch(/784 values.*100/);
    expect((await caught(() => fitToInput(digits, ['N']))).code).toBe('MC_SHAPE_MISMATCH');
  });
});
