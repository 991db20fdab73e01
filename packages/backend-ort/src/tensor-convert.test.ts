import { beforeAll, describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { float32ToFloat16Bits } from '@metacompress/ir';
import { loadOrtWeb, type OrtModule } from './ort-module';
import { fromOrtTensor, ortTypeOf, toOrtTensor } from './tensor-convert';

let ort: OrtModule;
beforeAll(async () => {
  ort = await loadOrtWeb();
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('tensor conversion', () => {
  it('maps typed arrays to onnxruntime types', () => {
    expect(ortTypeOf(new Float32Array(1))).toBe('float32');
    expect(ortTypeOf(new BigInt64Array(1))).toBe('int64');
    expect(ortTypeOf(new Uint8Array(1))).toBe('uint8');
  });

  it('converts feeds to the type the model expects', () => {
    const ids = toOrtTensor(ort, { dims: [3], data: new Int32Array([1, -2, 3]) }, 'int64', 'ids');
    expect(ids.type).toBe('int64');
    expect(Array.from(ids.data as BigInt64Array)).toEqual([1n, -2n, 3n]);
    const half = toOrtTensor(ort, { dims: [2], data: new Float32Array([0.5, -2]) }, 'float16', 'h');
    expect(Array.from(half.data as Uint16Array)).toEqual([float32ToFloat16Bits(0.5), float32ToFloat16Bits(-2)]);
    const mask = toOrtTensor(ort, { dims: [2], data: new Float32Array([0, 3]) }, 'bool', 'm');
    expect(mask.type).toBe('bool');
    expect(Array.from(mask.data as Uint8Array)).toEqual([0, 1]);
    const same = new Float32Array([1, 2]);
    expect(toOrtTensor(ort, { dims: [2], data: same }, 'float32', 'x').data).toBe(same);
  });

  it('rejects data that does not fill the dims', () => {
    const error = thrown(() => toOrtTensor(ort, { dims: [2, 2], data: new Float32Array(3) }, 'float32', 'x'));
    expect(isMetacompressError(error, 'MC_SHAPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain("'x'");
  });

  it('reads float16 outputs as float32 and refuses strings', () => {
    const half = new ort.Tensor('float16', new Uint16Array([float32ToFloat16Bits(1.5)]), [1]);
    const dense = fromOrtTensor(half, 'h');
    expect(dense.data).toBeInstanceOf(Float32Array);
    expect(dense.data[0]).toBe(1.5);
    const text = new ort.Tensor('string', ['a'], [1]);
    expect(isMetacompressError(thrown(() => fromOrtTensor(text, 'words')), 'MC_UNSUPPORTED_DTYPE')).toBe(true);
  });
});
