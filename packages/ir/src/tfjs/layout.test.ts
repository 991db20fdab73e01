import { describe, expect, it } from 'vitest';
import {
  composePerm,
  flatColumnMap,
  inversePerm,
  invertMap,
  isPermutation,
  NCHW_FROM_NHWC,
  NHWC_FROM_NCHW,
  permuteRows,
  transposeData,
} from './layout';

describe('layout helpers', () => {
  it('transposeData moves elements like numpy.transpose', () => {
    // x[n, c, h, w] = 1000n + 100c + 10h + w, dims [2, 3, 2, 2]
    const dims = [2, 3, 2, 2];
    const x = new Float32Array(24);
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let h = 0; h < 2; h++)
          for (let w = 0; w < 2; w++) x[((n * 3 + c) * 2 + h) * 2 + w] = 1000 * n + 100 * c + 10 * h + w;
    const y = transposeData(x, dims, NHWC_FROM_NCHW); // [2, 2, 2, 3]
    for (let n = 0; n < 2; n++)
      for (let h = 0; h < 2; h++)
        for (let w = 0; w < 2; w++)
          for (let c = 0; c < 3; c++)
            expect(y[((n * 2 + h) * 2 + w) * 3 + c]).toBe(1000 * n + 100 * c + 10 * h + w);
    expect(Array.from(transposeData(y, [2, 2, 2, 3], NCHW_FROM_NHWC))).toEqual(Array.from(x));
  });

  it('inverse and composed permutations', () => {
    expect(inversePerm(NHWC_FROM_NCHW)).toEqual([...NCHW_FROM_NHWC]);
    expect(composePerm(NHWC_FROM_NCHW, NCHW_FROM_NHWC)).toEqual([0, 1, 2, 3]);
    expect(isPermutation([2, 0, 1])).toBe(true);
    expect(isPermutation([0, 0, 1])).toBe(false);
    expect(() => transposeData(new Float32Array(4), [2, 2], [0, 0])).toThrow(/perm/);
  });

  it('flatColumnMap: Keras H, W, C column k holds the C, H, W column map[k]', () => {
    const [c, h, w] = [2, 3, 2];
    const map = flatColumnMap([c, h, w], [1, 2, 0]);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) expect(map[(y * w + x) * c + k]).toBe((k * h + y) * w + x);
    const inv = invertMap(map);
    for (let i = 0; i < map.length; i++) expect(inv[map[i]]).toBe(i);
  });

  it('permuteRows takes row map[k] into row k', () => {
    expect(Array.from(permuteRows(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, [2, 0, 1]))).toEqual([
      5, 6, 1, 2, 3, 4,
    ]);
  });
});
