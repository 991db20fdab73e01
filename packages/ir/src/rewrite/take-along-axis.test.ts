import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import { createTensor, toFloat32, toTypedArray } from '../tensor';
import { takeAlongAxis } from './take-along-axis';

describe('takeAlongAxis', () => {
  it('keeps indices along any axis of a float tensor', () => {
    const t = createTensor(
      'w',
      DataType.FLOAT,
      [2, 3, 2],
      Float32Array.from({ length: 12 }, (_, i) => i),
    );
    expect(Array.from(toFloat32(takeAlongAxis(t, 1, [0, 2])))).toEqual([0, 1, 4, 5, 6, 7, 10, 11]);
    expect(takeAlongAxis(t, 1, [0, 2]).dims).toEqual([2, 2, 2]);
    expect(Array.from(toFloat32(takeAlongAxis(t, 0, [1])))).toEqual([6, 7, 8, 9, 10, 11]);
    expect(Array.from(toFloat32(takeAlongAxis(t, 2, [1])))).toEqual([1, 3, 5, 7, 9, 11]);
    expect(Array.from(t.raw!.subarray(0, 4))).toEqual([0, 0, 0, 0]); // input untouched
  });

  it('copies bytes of float16, int64 and int4 (repacked) tensors, and string elements', () => {
    const h = createTensor('h', DataType.FLOAT16, [4], [0.5, 1, 2, 4]);
    expect(Array.from(toFloat32(takeAlongAxis(h, 0, [1, 3])))).toEqual([1, 4]);
    const l = createTensor('l', DataType.INT64, [3], [7, -8, 9]);
    expect(Array.from(toTypedArray(takeAlongAxis(l, 0, [1])) as BigInt64Array)).toEqual([-8n]);
    const q = createTensor('q', DataType.INT4, [3, 3], [1, -2, 3, -4, 5, -6, 7, -8, 0]);
    const q2 = takeAlongAxis(q, 1, [0, 2]);
    expect(q2.raw!.byteLength).toBe(3);
    expect(Array.from(toTypedArray(q2) as Int8Array)).toEqual([1, 3, -4, -6, 7, 0]);
    const enc = new TextEncoder();
    const s = {
      name: 's',
      dataType: DataType.STRING,
      dims: [3],
      strings: ['a', 'b', 'c'].map((x) => enc.encode(x)),
    };
    expect(takeAlongAxis(s, 0, [2]).strings!.map((b) => new TextDecoder().decode(b))).toEqual(['c']);
  });

  it('rejects an axis or index out of range', () => {
    const t = createTensor('w', DataType.FLOAT, [2, 2], [1, 2, 3, 4]);
    expect(() => takeAlongAxis(t, 2, [0])).toThrow('has no axis 2');
    expect(() => takeAlongAxis(t, 0, [2])).toThrow('index 2 is outside axis 0');
  });
});
