import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { packTfjsWeights, readTfjsWeights, shardPaths, weightByteLength } from './weights';

describe('TF.js weight data', () => {
  it('reads float32, int32, uint16-quantized and int32-from-uint8 weights in manifest order across groups', () => {
    const bytes: number[] = [];
    const push = (view: ArrayBufferView) =>
      bytes.push(...new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    push(Float32Array.from([1.5, -2]));
    push(Int32Array.from([7, -8]));
    push(Uint16Array.from([0, 1000, 65535]));
    push(Uint8Array.from([3, 4]));
    const weights = readTfjsWeights(
      [
        {
          paths: ['a'],
          weights: [
            { name: 'f', shape: [2], dtype: 'float32' },
            { name: 'i', shape: [2], dtype: 'int32' },
          ],
        },
        {
          paths: ['b'],
          weights: [
            {
              name: 'q16',
              shape: [3],
              dtype: 'float32',
              quantization: { dtype: 'uint16', scale: 0.01, min: -1 },
            },
            { name: 'qi', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.4, min: 0 } },
          ],
        },
      ],
      Uint8Array.from(bytes),
    );
    expect(Array.from(weights.get('f')!.values)).toEqual([1.5, -2]);
    expect(Array.from(weights.get('i')!.values)).toEqual([7, -8]);
    const q = Array.from(weights.get('q16')!.values);
    expect(q[0]).toBeCloseTo(-1, 6);
    expect(q[1]).toBeCloseTo(9, 4);
    expect(q[2]).toBeCloseTo(654.35, 2);
    expect(Array.from(weights.get('qi')!.values)).toEqual([1, 2]); // 1.2 → 1, 1.6 → 2: TF.js rounds int32 weights
  });

  it('packs float32 little-endian and names shards like TF.js', () => {
    const { specs, data } = packTfjsWeights([{ name: 'k', shape: [2], values: Float32Array.from([1, -1]) }]);
    expect(specs).toEqual([{ name: 'k', shape: [2], dtype: 'float32' }]);
    expect(Array.from(data)).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xbf]);
    expect(shardPaths(0)).toEqual(['group1-shard1of1.bin']);
    expect(shardPaths(4 * 1024 * 1024)).toEqual(['group1-shard1of1.bin']);
    expect(shardPaths(4 * 1024 * 1024 + 1)).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    expect(
      weightByteLength({ name: 'h', shape: [3, 3], dtype: 'float32', quantization: { dtype: 'float16' } }),
    ).toBe(18);
    expect(() => shardPaths(10, 0)).toThrow(/shardBytes/);
  });

  it('a duplicate weight name is an error', () => {
    let error: unknown;
    try {
      readTfjsWeights(
        [
          {
            paths: ['a'],
            weights: [
              { name: 'w', shape: [1], dtype: 'float32' },
              { name: 'w', shape: [1], dtype: 'float32' },
            ],
          },
        ],
        new Uint8Array(8),
      );
    } catch (e) {
      error = e;
    }
    expect(isMetacompressError(error, 'MC_MODEL_INVALID')).toBe(true);
  });
});
