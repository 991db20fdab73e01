import { describe, expect, it } from 'vitest';
import { createDataset } from './tensor-dataset';
import { caught } from './test-fixtures';

/** n RGB images of 2x3 stored HWC; pixel value encodes (sample, y, x, channel). */
function rgbDataset(n = 4) {
  const H = 2;
  const W = 3;
  const C = 3;
  const data = new Uint8Array(n * H * W * C);
  for (let s = 0; s < n; s++)
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) data[((s * H + y) * W + x) * C + c] = s * 60 + y * 30 + x * 10 + c;
  return createDataset({
    name: 'rgb',
    data,
    sampleShape: [H, W, C],
    labels: Array.from({ length: n }, (_, i) => i % 2),
    image: { height: H, width: W, channels: C, storage: 'hwc' },
  });
}

const raw = (s: number, y: number, x: number, c: number) => s * 60 + y * 30 + x * 10 + c;

describe('TensorDataset', () => {
  it('starts image datasets in NCHW, scaled by 1/255 for uint8', () => {
    const ds = rgbDataset();
    expect(ds.layout).toBe('nchw');
    expect(ds.sampleShape).toEqual([3, 2, 3]);
    const { inputs, labels } = ds.toBatch();
    expect(inputs.dims).toEqual([4, 3, 2, 3]);
    expect(Array.from(labels)).toEqual([0, 1, 0, 1]);
    // element [s=1, c=2, y=1, x=0]
    expect(inputs.data[((1 * 3 + 2) * 2 + 1) * 3 + 0]).toBeCloseTo(raw(1, 1, 0, 2) / 255, 6);
  });

  it('lays out NHWC, flat (channel-major) and custom shapes', async () => {
    const ds = rgbDataset();
    const nhwc = ds.withLayout('nhwc').normalize({ scale: 1 });
    expect(nhwc.sampleShape).toEqual([2, 3, 3]);
    const a = nhwc.toBatch().inputs.data;
    expect(a[((2 * 2 + 1) * 3 + 2) * 3 + 1]).toBe(raw(2, 1, 2, 1));
    const flat = ds.withLayout('flat').normalize({ scale: 1 });
    expect(flat.sampleShape).toEqual([18]);
    const f = flat.toBatch().inputs.data;
    expect(f[3 * 18 + 1 * 6 + 0 * 3 + 2]).toBe(raw(3, 0, 2, 1));
    const reshaped = flat.reshape([3, 6]);
    expect(reshaped.layout).toBe('custom');
    expect(Array.from(reshaped.toBatch().inputs.data)).toEqual(Array.from(f));
    expect((await caught(() => ds.withLayout('hw'))).code).toBe('MC_SHAPE_MISMATCH');
    expect((await caught(() => flat.reshape([4, 4]))).code).toBe('MC_SHAPE_MISMATCH');
  });

  it('reads channel-first storage in every layout', () => {
    // one 2x2 image with 2 channels stored CHW: channel 0 = [1,2,3,4], channel 1 = [5,6,7,8]
    const ds = createDataset({
      name: 'chw',
      data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]),
      sampleShape: [2, 2, 2],
      labels: [0],
      image: { height: 2, width: 2, channels: 2, storage: 'chw' },
    });
    expect(ds.normalization.scale).toBe(1);
    expect(Array.from(ds.toBatch().inputs.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(ds.withLayout('nhwc').toBatch().inputs.data)).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
  });

  it('normalizes per channel whatever the layout', () => {
    const ds = rgbDataset().normalize({ scale: 1, mean: [1, 2, 3], std: [2, 4, 8] });
    for (const layout of ['nchw', 'nhwc', 'flat'] as const) {
      const view = ds.withLayout(layout);
      const plain = rgbDataset().withLayout(layout).normalize({ scale: 1 }).toBatch().inputs.data;
      const got = view.toBatch().inputs.data;
      const channelOf = (j: number) => (layout === 'nhwc' ? j % 3 : Math.floor((j % 18) / 6));
      for (let j = 0; j < got.length; j++) {
        const c = channelOf(j);
        expect(got[j]).toBeCloseTo((plain[j] - [1, 2, 3][c]) / [2, 4, 8][c], 5);
      }
    }
    const scalar = rgbDataset().normalize({ mean: 0.5, std: 0.25 }).toBatch().inputs.data;
    expect(scalar[1]).toBeCloseTo((raw(0, 0, 1, 0) / 255 - 0.5) / 0.25, 5);
  });

  it('rejects bad normalizations', async () => {
    const ds = rgbDataset();
    expect((await caught(() => ds.normalize({ mean: [1, 2] }))).code).toBe('MC_INVALID_ARGUMENT');
    expect((await caught(() => ds.normalize({ std: 0 }))).details.field).toBe('std');
    expect((await caught(() => ds.normalize({ scale: Number.NaN }))).details.field).toBe('scale');
  });

  it('batches with limit and dropLast, and can be iterated twice', () => {
    const ds = createDataset({ name: 'seq', data: Float32Array.from({ length: 10 }, (_, i) => i), sampleShape: [1], labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    const sizes = (it: Iterable<{ labels: Int32Array }>) => [...it].map((b) => b.labels.length);
    expect(sizes(ds.batches(4))).toEqual([4, 4, 2]);
    expect(sizes(ds.batches(4, { dropLast: true }))).toEqual([4, 4]);
    expect(sizes(ds.batches(4, { limit: 6 }))).toEqual([4, 2]);
    expect(sizes(ds.batches(3, { limit: 6, dropLast: true }))).toEqual([3, 3]);
    const twice = ds.batches(5);
    expect([...twice].length).toBe(2);
    expect([...twice].length).toBe(2);
    const first = [...ds.batches(10)][0];
    expect(Array.from(first.inputs.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first.inputs.dims).toEqual([10, 1]);
  });

  it('shuffles deterministically by seed, keeping inputs and labels together', () => {
    const n = 50;
    const ds = createDataset({ name: 'seq', data: Float32Array.from({ length: n }, (_, i) => i), sampleShape: [1], labels: Array.from({ length: n }, (_, i) => i % 7) });
    const order = (seed: number) => [...ds.batches(8, { shuffleSeed: seed })].flatMap((b) => Array.from(b.inputs.data));
    const a = order(1);
    expect(order(1)).toEqual(a);
    expect(order(2)).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const b of ds.batches(8, { shuffleSeed: 3 })) b.labels.forEach((l, k) => expect(l).toBe(b.inputs.data[k] % 7));
  });

  it('validates batch arguments', async () => {
    const ds = rgbDataset();
    expect((await caught(() => ds.batches(0))).code).toBe('MC_INVALID_ARGUMENT');
    expect((await caught(() => ds.batches(2, { limit: -1 }))).details.field).toBe('limit');
  });

  it('checks data size and labels at creation, naming the file', async () => {
    const mismatch = await caught(() => createDataset({ name: 'x', data: new Float32Array(5), sampleShape: [2], labels: [0, 1] }));
    expect(mismatch.code).toBe('MC_SHAPE_MISMATCH');
    const range = await caught(() => createDataset({ name: 'x', data: new Float32Array(4), sampleShape: [2], labels: [0, 12], numClasses: 10, file: 'y.npy' }));
    expect(range.code).toBe('MC_LABEL_OUT_OF_RANGE');
    expect(range.details).toMatchObject({ file: 'y.npy', index: 1, label: 12, numClasses: 10 });
    expect((await caught(() => createDataset({ name: 'x', data: new Float32Array(2), sampleShape: [2], labels: [-1] }))).code).toBe('MC_LABEL_OUT_OF_RANGE');
    expect((await caught(() => createDataset({ name: 'x', data: new Float32Array(2), sampleShape: [2], labels: [0.5] }))).code).toBe('MC_DATA_FORMAT');
  });

  it('infers numClasses, converts int64, and checks withNumClasses', async () => {
    const ds = createDataset({ name: 'x', data: new BigInt64Array([1n, 2n, 3n]), sampleShape: [1], labels: new BigInt64Array([0n, 4n, 2n]) });
    expect(ds.numClasses).toBe(5);
    expect(ds.normalization.scale).toBe(1);
    expect(Array.from(ds.toBatch().inputs.data)).toEqual([1, 2, 3]);
    expect(ds.withNumClasses(10).numClasses).toBe(10);
    const error = await caught(() => ds.withNumClasses(3));
    expect(error.code).toBe('MC_LABEL_OUT_OF_RANGE');
    expect(error.details).toMatchObject({ dataset: 'x', index: 1, label: 4 });
    expect(ds.classCounts()).toEqual([1, 0, 1, 0, 1]);
    const named = createDataset({ name: 'n', data: new Float32Array(2), sampleShape: [1], labels: [0, 1], classNames: ['a', 'b'] });
    expect(named.withNumClasses(2).classNames).toEqual(['a', 'b']);
    expect(named.withNumClasses(3).classNames).toBeUndefined();
  });

  it('takes subsets without copying values', () => {
    const ds = rgbDataset(6);
    const sub = ds.subset([5, 0, 3]);
    expect(sub.length).toBe(3);
    expect(Array.from(sub.labels())).toEqual([1, 0, 1]);
    const nested = sub.subset([2]);
    expect(nested.labelAt(0)).toBe(1);
    expect(nested.normalize({ scale: 1 }).withLayout('nhwc').toBatch().inputs.data[0]).toBe(raw(3, 0, 0, 0));
  });
});
