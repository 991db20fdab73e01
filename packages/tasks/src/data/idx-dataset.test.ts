import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIdx } from './idx';
import { loadIdxDataset } from './idx-dataset';
import { caught, put, tempDir } from './test-fixtures';

describe('loadIdxDataset', () => {
  let dir = '';
  let cleanup = async () => {};
  let images = '';
  let labels = '';
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    images = await put(dir, 'images', writeIdx({ dims: [3, 2, 2], data: new Uint8Array([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]) }));
    labels = await put(dir, 'labels', writeIdx({ dims: [3], data: new Uint8Array([2, 0, 11]) }));
  });
  afterAll(() => cleanup());

  it('loads images and labels as a one-channel image dataset', async () => {
    const ds = await loadIdxDataset({ images, labels });
    expect(ds.length).toBe(3);
    expect(ds.image).toEqual({ height: 2, width: 2, channels: 1 });
    expect(ds.numClasses).toBe(12);
    const { inputs } = ds.normalize({ scale: 1 }).toBatch();
    expect(Array.from(inputs.data.subarray(4, 8))).toEqual([10, 11, 12, 13]);
  });

  it('reports labels out of range for numClasses, naming the labels file', async () => {
    const error = await caught(() => loadIdxDataset({ images, labels, numClasses: 10 }));
    expect(error.code).toBe('MC_LABEL_OUT_OF_RANGE');
    expect(error.details).toMatchObject({ file: labels, index: 2, label: 11 });
  });

  it('refuses swapped files with the expected magic number in the message', async () => {
    const swapped = await caught(() => loadIdxDataset({ images: labels, labels: images }));
    expect(swapped.code).toBe('MC_DATA_FORMAT');
    expect(swapped.details.file).toBe(labels);
    const floatLabels = await put(dir, 'float-labels', writeIdx({ dims: [3], data: new Float32Array(3) }));
    const wrongType = await caught(() => loadIdxDataset({ images, labels: floatLabels }));
    expect(wrongType.message).toContain('0x00000801');
    expect(wrongType.details.file).toBe(floatLabels);
  });

  it('refuses count mismatches and empty files', async () => {
    const two = await put(dir, 'two-labels', writeIdx({ dims: [2], data: new Uint8Array(2) }));
    const mismatch = await caught(() => loadIdxDataset({ images, labels: two }));
    expect(mismatch.code).toBe('MC_SHAPE_MISMATCH');
    expect(mismatch.message).toContain(images);
    expect(mismatch.message).toContain(two);
    const noImages = await put(dir, 'no-images', writeIdx({ dims: [0, 2, 2], data: new Uint8Array(0) }));
    const noLabels = await put(dir, 'no-labels', writeIdx({ dims: [0], data: new Uint8Array(0) }));
    expect((await caught(() => loadIdxDataset({ images: noImages, labels: noLabels }))).code).toBe('MC_EMPTY_DATASET');
  });
});
