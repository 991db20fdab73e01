import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import { broadcastDims } from './dims';
import { broadcastValues, reduceValues, roundToType, takeValues, transposeValues } from './values';

const fail = (field: string, reason: string): never => {
  throw new Error(`${field}: ${reason}`);
};

describe('shape helpers', () => {
  it('broadcastDims follows numpy rules with symbols', () => {
    expect(broadcastDims([['N', 3, 1], [4]], fail)).toEqual(['N', 3, 4]);
    expect(
      broadcastDims(
        [
          ['N', 1],
          ['N', 5],
        ],
        fail,
      ),
    ).toEqual(['N', 5]);
    expect(broadcastDims([['N'], ['M']], fail)).toEqual([null]);
    expect(broadcastDims([[null], [1]], fail)).toEqual([null]);
    expect(broadcastDims([['N'], [7]], fail)).toEqual([7]);
    expect(() => broadcastDims([[2, 3], [4]], fail)).toThrow(/input\[1\]/);
  });

  it('broadcastValues, takeValues, transposeValues, reduceValues', () => {
    expect(
      broadcastValues(
        [
          { values: [1, 2, 3], shape: [3] },
          { values: [10, 20], shape: [2, 1] },
        ],
        [2, 3],
        (a, b) => a + b,
      ),
    ).toEqual([11, 12, 13, 21, 22, 23]);
    expect(takeValues([1, 2, 3, 4, 5, 6], [2, 3], [[1], [2, 0]])).toEqual([6, 4]);
    expect(transposeValues([1, 2, 3, 4, 5, 6], [2, 3], [1, 0])).toEqual([1, 4, 2, 5, 3, 6]);
    expect(transposeValues([], [0, 3], [1, 0])).toEqual([]);
    expect(reduceValues([1, 2, 3, 4, 5, 6], [2, 3], [0], (a, x) => a + x, 0)).toEqual([5, 7, 9]);
    expect(reduceValues([1, 2, 3, 4, 5, 6], [2, 3], [0, 1], Math.max, -Infinity)).toEqual([6]);
  });

  it('roundToType rounds to the element type', () => {
    expect(roundToType(0.1, DataType.FLOAT)).toBe(Math.fround(0.1));
    expect(roundToType(300, DataType.UINT8)).toBe(44);
    expect(roundToType(-129, DataType.INT8)).toBe(127);
    expect(roundToType(-2.7, DataType.INT64)).toBe(-2);
    expect(roundToType(0.1, DataType.FLOAT16)).toBeCloseTo(0.0999755859375, 12);
    expect(roundToType(NaN, DataType.BOOL)).toBe(0);
  });
});
