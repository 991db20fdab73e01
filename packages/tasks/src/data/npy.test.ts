import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from './npy';
import { caught, fromBase64 } from './test-fixtures';

// Written by numpy 1.x (`np.save` / `np.lib.format.write_array`), base64-encoded.
const NUMPY = {
  /** np.asfortranarray(np.arange(6, dtype=float32).reshape(2, 3) * 1.5) */
  fortran2d: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACQQAAAwD8AAMBAAABAQAAA8EA=',
  /** np.asfortranarray(np.arange(24, dtype=uint8).reshape(2, 3, 4)) */
  fortran3d: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoADAQQCBQBDQURCRUCDgYSChYDDwcTCxc=',
  /** version 2.0: np.array([[1, -2], [3, -4]], dtype=int16) */
  v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8aTInLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAP7/AwD8/w==',
  /** version 3.0: np.array([7, 8, 9], dtype=int64) */
  v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoHAAAAAAAAAAgAAAAAAAAACQAAAAAAAAA=',
  /** np.array([1.25, -2.5], dtype='>f8') */
  bigEndian: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/9AAAAAAAAMAEAAAAAAAA',
  /** np.array([0.5, -1.0, 65504], dtype=float16) */
  half: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAOAC8/3s=',
  /** np.array([True, False, True]) */
  bool: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=',
  /** np.zeros(2, dtype=[('a', '<i4'), ('b', '<f4')]) */
  structured: 'k05VTVBZAQB2AHsnZGVzY3InOiBbKCdhJywgJzxpNCcpLCAoJ2InLCAnPGY0JyldLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAA',
  /** np.zeros(2, dtype=complex64) */
  complex: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGM4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAA',
};

describe('npy', () => {
  it('round-trips the common dtypes', () => {
    const cases = [
      new Uint8Array([0, 255, 3, 4]),
      new Int8Array([-128, 127, 3, 4]),
      new Int32Array([-5, 6, 7, 2 ** 31 - 1]),
      new BigInt64Array([-5n, 2n ** 40n, 0n, 1n]),
      new Float32Array([0.5, -2, 3, 4]),
      new Float64Array([Math.PI, 1e-300, -0, 4]),
      new Uint16Array([1, 65535, 3, 4]),
    ];
    for (const data of cases) {
      const back = readNpy(writeNpy({ dims: [2, 2], data }));
      expect(back.dims).toEqual([2, 2]);
      expect(back.data.constructor).toBe(data.constructor);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(data as ArrayLike<unknown>));
    }
  });

  it('pads the header to 64 bytes like numpy', () => {
    const bytes = writeNpy({ dims: [3], data: new Float32Array(3) });
    const headerLength = bytes[8] | (bytes[9] << 8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes[10 + headerLength - 1]).toBe(0x0a);
  });

  it('transposes Fortran-order arrays written by numpy into C order', () => {
    const a = readNpy(fromBase64(NUMPY.fortran2d));
    expect(a.dims).toEqual([2, 3]);
    expect(Array.from(a.data as Float32Array)).toEqual([0, 1.5, 3, 4.5, 6, 7.5]);
    const b = readNpy(fromBase64(NUMPY.fortran3d));
    expect(b.dims).toEqual([2, 3, 4]);
    expect(Array.from(b.data as Uint8Array)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('reads format versions 2 and 3, big-endian, float16 and bool arrays from numpy', () => {
    const v2 = readNpy(fromBase64(NUMPY.v2));
    expect(v2.dims).toEqual([2, 2]);
    expect(Array.from(v2.data as Int16Array)).toEqual([1, -2, 3, -4]);
    const v3 = readNpy(fromBase64(NUMPY.v3));
    expect(v3.dtype).toBe('int64');
    expect(Array.from(v3.data as BigInt64Array)).toEqual([7n, 8n, 9n]);
    expect(Array.from(readNpy(fromBase64(NUMPY.bigEndian)).data as Float64Array)).toEqual([1.25, -2.5]);
    const half = readNpy(fromBase64(NUMPY.half));
    expect(half.dtype).toBe('float16');
    expect(Array.from(half.data as Float32Array)).toEqual([0.5, -1, 65504]);
    expect(Array.from(readNpy(fromBase64(NUMPY.bool)).data as Uint8Array)).toEqual([1, 0, 1]);
  });

  it('refuses structured and complex dtypes with MC_UNSUPPORTED_DTYPE', async () => {
    const structured = await caught(() => readNpy(fromBase64(NUMPY.structured), { file: 'rec.npy' }));
    expect(structured.code).toBe('MC_UNSUPPORTED_DTYPE');
    expect(structured.details.file).toBe('rec.npy');
    const complex = await caught(() => readNpy(fromBase64(NUMPY.complex), { file: 'c.npy' }));
    expect(complex.code).toBe('MC_UNSUPPORTED_DTYPE');
    expect(complex.message).toContain('<c8');
  });

  it('names the file in errors for bad magic, bad versions, truncation and trailing bytes', async () => {
    const good = writeNpy({ dims: [4, 4], data: new Float32Array(16) });
    const badMagic = good.slice();
    badMagic[1] = 0x58;
    const e1 = await caught(() => readNpy(badMagic, { file: 'x.npy' }));
    expect(e1.code).toBe('MC_DATA_FORMAT');
    expect(e1.message).toContain("file 'x.npy'");
    const badVersion = good.slice();
    badVersion[6] = 9;
    expect((await caught(() => readNpy(badVersion))).message).toMatch(/version 9/);
    const truncated = await caught(() => readNpy(good.subarray(0, good.length - 3), { file: 'x.npy' }));
    expect(truncated.code).toBe('MC_DATA_FORMAT');
    expect(truncated.message).toMatch(/truncated.*\[4, 4\].*64 bytes.*61/);
    expect((await caught(() => readNpy(good.subarray(0, 40)))).message).toMatch(/truncated/);
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect((await caught(() => readNpy(longer))).message).toMatch(/1 bytes after the data/);
  });

  it('refuses absurd shapes before allocating', async () => {
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 100000), }\n";
    const bytes = new Uint8Array(10 + dict.length + 8);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length & 0xff, dict.length >> 8]);
    for (let i = 0; i < dict.length; i++) bytes[10 + i] = dict.charCodeAt(i);
    const error = await caught(() => readNpy(bytes));
    expect(error.code).toBe('MC_DATA_FORMAT');
    expect(error.message).toMatch(/truncated.*\[99999999999, 100000\]/);
  });
});
