import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, toGrayscale } from './image-decode';
import { loadImageFolder } from './image-folder';
import { caught, put, tempDir } from './test-fixtures';

/** A PNG whose RGBA pixels come from `pixel(x, y)`. */
function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return PNG.sync.write({ width, height, data });
}

function jpg(width: number, height: number, value: number): Uint8Array {
  const data = new Uint8Array(width * height * 4).fill(value);
  return jpeg.encode({ width, height, data }, 95).data;
}

const gray = (v: number) => () => [v, v, v] as [number, number, number];

describe('loadImageFolder', () => {
  let dir = '';
  let cleanup = async () => {};
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('labels classes by sorted folder name and reads gray PNG and JPEG as one channel', async () => {
    const root = `${dir}/gray`;
    await put(root, 'b/2.png', png(4, 3, gray(200)));
    await put(root, 'b/1.png', png(4, 3, (x, y) => [x * 10 + y, x * 10 + y, x * 10 + y]));
    await put(root, 'a/x.jpg', jpg(4, 3, 128));
    await put(root, 'a/.hidden.png', png(9, 9, gray(1)));
    await put(root, 'a/notes.txt', 'not an image');
    await put(root, 'c/z.PNG', png(4, 3, gray(7)));
    const ds = await loadImageFolder(root);
    expect(ds.classNames).toEqual(['a', 'b', 'c']);
    expect(ds.numClasses).toBe(3);
    expect(Array.from(ds.labels())).toEqual([0, 1, 1, 2]);
    expect(ds.image).toEqual({ height: 3, width: 4, channels: 1 });
    expect(ds.sampleShape).toEqual([1, 3, 4]);
    const values = ds.normalize({ scale: 1 }).toBatch().inputs.data;
    expect(Math.abs(values[0] - 128)).toBeLessThanOrEqual(2); // JPEG is lossy
    expect(values[12 + 2 * 4 + 3]).toBe(32); // b/1.png, y = 2, x = 3
    expect(values[24]).toBe(200); // b/2.png
    expect(values[36]).toBe(7); // c/z.PNG
  });

  it('keeps RGB when colors differ, or converts with Pillow weights on request', async () => {
    const root = `${dir}/rgb`;
    await put(root, 'red/1.png', png(2, 2, () => [255, 0, 0]));
    await put(root, 'mix/1.png', png(2, 2, (x) => [x * 100, 50, 25]));
    const ds = await loadImageFolder(root);
    expect(ds.image?.channels).toBe(3);
    expect(ds.classNames).toEqual(['mix', 'red']);
    const nhwc = ds.withLayout('nhwc').normalize({ scale: 1 }).toBatch().inputs.data;
    expect(Array.from(nhwc.subarray(0, 6))).toEqual([0, 50, 25, 100, 50, 25]);
    expect(Array.from(nhwc.subarray(12, 15))).toEqual([255, 0, 0]);
    const grayDs = await loadImageFolder(root, { color: 'grayscale' });
    expect(grayDs.image?.channels).toBe(1);
    expect(grayDs.normalize({ scale: 1 }).toBatch().inputs.data[4]).toBe(76); // Pillow: L of pure red is 76
    expect((await loadImageFolder(`${dir}/gray`, { color: 'rgb' })).image?.channels).toBe(3);
  });

  it('converts to gray with Pillow rounding', () => {
    expect(Array.from(toGrayscale(new Uint8Array([255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 9, 10, 20, 30, 255])))).toEqual([76, 150, 29, 18]);
  });

  it('names both files when image sizes differ', async () => {
    const root = `${dir}/sizes`;
    await put(root, 'a/1.png', png(4, 4, gray(1)));
    const odd = await put(root, 'b/1.png', png(5, 4, gray(1)));
    const error = await caught(() => loadImageFolder(root));
    expect(error.code).toBe('MC_SHAPE_MISMATCH');
    expect(error.details.file).toBe(odd);
    expect(error.message).toContain('5x4');
    expect(error.message).toContain('4x4');
    expect(error.message).toContain('a/1.png');
  });

  it('refuses empty folders, empty classes, missing roots and corrupt images', async () => {
    const empty = `${dir}/empty`;
    await put(empty, 'loose.png', png(2, 2, gray(1)));
    const noClasses = await caught(() => loadImageFolder(empty));
    expect(noClasses.code).toBe('MC_EMPTY_DATASET');
    expect(noClasses.message).toMatch(/1 images directly in the root/);
    const root = `${dir}/emptyclass`;
    await put(root, 'a/1.png', png(2, 2, gray(1)));
    await put(root, 'b/readme.txt', 'x');
    const emptyClass = await caught(() => loadImageFolder(root));
    expect(emptyClass.code).toBe('MC_EMPTY_DATASET');
    expect(emptyClass.details.file).toBe(`${root}/b`);
    expect((await caught(() => loadImageFolder(`${dir}/missing`))).code).toBe('MC_FILE_NOT_FOUND');
    const corrupt = await put(`${dir}/corrupt`, 'a/1.png', png(2, 2, gray(1)).subarray(0, 30));
    const bad = await caught(() => loadImageFolder(`${dir}/corrupt`));
    expect(bad.code).toBe('MC_DATA_FORMAT');
    expect(bad.details.file).toBe(corrupt);
    const notImage = await caught(() => decodeImage(new Uint8Array([1, 2, 3, 4]), { file: 'x.png' }));
    expect(notImage.code).toBe('MC_DATA_FORMAT');
  });

  it('refuses huge images before decoding them', async () => {
    const bytes = png(2, 2, gray(1));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint32(16, 100000);
    view.setUint32(20, 100000);
    expect((await caught(() => decodeImage(bytes, { file: 'big.png' }))).code).toBe('MC_TENSOR_TOO_LARGE');
  });
});
