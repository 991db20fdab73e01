import { ErrorCodes, MetacompressError, type DenseTensor, type TensorValues } from '@metacompress/core';
import { formatShape, readDataFile } from './read-file';

/** A decoded `.npy` array: C-order values, its dims and its numpy dtype name (e.g. `uint8`, `float32`). */
export interface NpyArray extends DenseTensor<TensorValues> {
  dtype: NpyDtype;
}

/** The numpy dtypes `.npy` files may hold here. */
export type NpyDtype = 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64';

interface NpyType {
  dtype: NpyDtype;
  size: number;
  make(n: number): TensorValues;
  read(view: DataView, offset: number, little: boolean): number | bigint;
}

const NPY_TYPES: Record<string, NpyType> = {
  b1: { dtype: 'bool', size: 1, make: (n) => new Uint8Array(n), read: (v, o) => (v.getUint8(o) ? 1 : 0) },
  u1: { dtype: 'uint8', size: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  i1: { dtype: 'int8', size: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  u2: { dtype: 'uint16', size: 2, make: (n) => new Uint16Array(n), read: (v, o, l) => v.getUint16(o, l) },
  i2: { dtype: 'int16', size: 2, make: (n) => new Int16Array(n), read: (v, o, l) => v.getInt16(o, l) },
  u4: { dtype: 'uint32', size: 4, make: (n) => new Uint32Array(n), read: (v, o, l) => v.getUint32(o, l) },
  i4: { dtype: 'int32', size: 4, make: (n) => new Int32Array(n), read: (v, o, l) => v.getInt32(o, l) },
  i8: { dtype: 'int64', size: 8, make: (n) => new BigInt64Array(n), read: (v, o, l) => v.getBigInt64(o, l) },
  f2: { dtype: 'float16', size: 2, make: (n) => new Float32Array(n), read: (v, o, l) => halfToFloat(v.getUint16(o, l)) },
  f4: { dtype: 'float32', size: 4, make: (n) => new Float32Array(n), read: (v, o, l) => v.getFloat32(o, l) },
  f8: { dtype: 'float64', size: 8, make: (n) => new Float64Array(n), read: (v, o, l) => v.getFloat64(o, l) },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_ELEMENTS = 2 ** 31 - 1;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function fail(file: string | undefined, reason: string, code: string = ErrorCodes.DATA_FORMAT): MetacompressError {
  return new MetacompressError(code, reason, file ? { file } : {});
}

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

function parseHeader(bytes: Uint8Array, file: string | undefined): NpyHeader {
  if (bytes.length < 10) throw fail(file, `truncated npy file: ${bytes.length} bytes, the preamble needs 10`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw fail(file, 'not an npy file: it does not start with the magic string \\x93NUMPY');
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail(file, `truncated npy file: ${bytes.length} bytes, a version-${major} preamble needs 12`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw fail(file, `unsupported npy format version ${major}.${bytes[7]} (1.0, 2.0 and 3.0 are supported)`);
  }
  const dataOffset = headerStart + headerLength;
  if (dataOffset > bytes.length) {
    throw fail(file, `truncated npy file: the header claims ${headerLength} bytes, only ${bytes.length - headerStart} follow`);
  }
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataOffset));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) throw fail(file, 'structured npy dtypes (record arrays) are not supported', ErrorCodes.UNSUPPORTED_DTYPE);
    throw fail(file, `npy header has no 'descr': ${text.trim()}`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw fail(file, `npy header has no 'fortran_order': ${text.trim()}`);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeMatch) throw fail(file, `npy header has no 'shape': ${text.trim()}`);
  const shape: number[] = [];
  for (const part of shapeMatch[1].split(',')) {
    const item = part.trim();
    if (item === '') continue;
    if (!/^\d+L?$/.test(item)) throw fail(file, `npy header has a bad shape (${shapeMatch[1]})`);
    shape.push(Number.parseInt(item, 10));
  }
  return { descr: descr[1], fortranOrder: fortran[1] === 'True', shape, dataOffset };
}

/** Reorders Fortran-order (column-major) values into a new C-order array. */
function fortranToC<T extends TensorValues>(src: T, dims: readonly number[], make: (n: number) => T): T {
  const rank = dims.length;
  const out = make(src.length);
  if (rank < 2) {
    out.set(src as never);
    return out;
  }
  const fStrides: number[] = new Array(rank);
  let s = 1;
  for (let k = 0; k < rank; k++) {
    fStrides[k] = s;
    s *= dims[k];
  }
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < src.length; i++) {
    (out as unknown as number[])[i] = (src as unknown as number[])[offset];
    for (let k = rank - 1; k >= 0; k--) {
      index[k]++;
      offset += fStrides[k];
      if (index[k] < dims[k]) break;
      offset -= fStrides[k] * dims[k];
      index[k] = 0;
    }
  }
  return out;
}

/**
 * Decodes a `.npy` file (format versions 1, 2 and 3). Dtypes: bool, u1, i1, u2, i2, u4, i4, i8
 * (as `BigInt64Array`), f2 (widened to float32), f4, f8, in either byte order. Fortran-order arrays
 * are transposed into C order. Lengths are checked against the shape before anything is allocated.
 *
 * @throws `MC_DATA_FORMAT` for a bad magic string, header or truncated data; `MC_UNSUPPORTED_DTYPE` for other dtypes.
 * @example
 * const x = readNpy(bytes, { file: 'x_train.npy' }); // { dims: [60000, 28, 28], data: Uint8Array, dtype: 'uint8' }
 */
export function readNpy(bytes: Uint8Array, options: { file?: string } = {}): NpyArray {
  const { file } = options;
  const header = parseHeader(bytes, file);
  const match = /^([<>|=])([biuf])(\d+)$/.exec(header.descr);
  const type = match ? NPY_TYPES[`${match[2]}${match[3]}`] : undefined;
  if (!match || !type) {
    throw fail(file, `unsupported npy dtype '${header.descr}' (supported: bool, u1, i1, u2, i2, u4, i4, i8, f2, f4, f8)`, ErrorCodes.UNSUPPORTED_DTYPE);
  }
  const little = match[1] !== '>';
  let count = 1;
  for (const d of header.shape) count *= d;
  const available = bytes.length - header.dataOffset;
  const needed = count * type.size;
  if (needed > available) {
    throw fail(file, `truncated npy file: shape ${formatShape(header.shape)} of ${type.dtype} needs ${needed} bytes of data, the file has ${available}`);
  }
  if (needed < available) {
    throw fail(file, `npy file has ${available - needed} bytes after the data of shape ${formatShape(header.shape)} (${type.dtype})`);
  }
  if (count > MAX_ELEMENTS) {
    throw fail(file, `npy shape ${formatShape(header.shape)} holds more than 2^31 elements`, ErrorCodes.TENSOR_TOO_LARGE);
  }
  let data: TensorValues;
  if ((little || type.size === 1) && type.dtype !== 'float16' && type.dtype !== 'bool') {
    // Copy into a fresh, aligned buffer and view it with the native (little-endian) typed array.
    const copy = bytes.slice(header.dataOffset, header.dataOffset + needed);
    const Ctor = type.make(0).constructor as new (buffer: ArrayBuffer, offset: number, length: number) => TensorValues;
    data = new Ctor(copy.buffer, 0, count);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    data = type.make(count);
    const out = data as unknown as (number | bigint)[];
    for (let i = 0, o = header.dataOffset; i < count; i++, o += type.size) out[i] = type.read(view, o, little);
  }
  if (header.fortranOrder) data = fortranToC(data, header.shape, type.make);
  return { dims: header.shape, data, dtype: type.dtype };
}

/**
 * Reads and decodes a `.npy` file (see {@link readNpy}); errors name the file.
 *
 * @example
 * const y = await readNpyFile('y_train.npy'); // { dims: [60000], data: BigInt64Array, dtype: 'int64' }
 */
export async function readNpyFile(path: string): Promise<NpyArray> {
  return readNpy(await readDataFile(path), { file: path });
}

/**
 * Encodes a C-order tensor as a version-1 `.npy` file (little-endian; the dtype follows the array class).
 *
 * @example
 * const bytes = writeNpy({ dims: [2, 2], data: new Float32Array([1, 2, 3, 4]) }); // np.load gives float32 (2, 2)
 */
export function writeNpy(tensor: DenseTensor, options: { dtype?: 'bool' | 'float16' } = {}): Uint8Array {
  const data = tensor.data;
  let descr: string;
  let size: number;
  if (options.dtype === 'bool') [descr, size] = ['|b1', 1];
  else if (options.dtype === 'float16') [descr, size] = ['<f2', 2];
  else if (data instanceof Uint8Array) [descr, size] = ['|u1', 1];
  else if (data instanceof Int8Array) [descr, size] = ['|i1', 1];
  else if (data instanceof Uint16Array) [descr, size] = ['<u2', 2];
  else if (data instanceof Int16Array) [descr, size] = ['<i2', 2];
  else if (data instanceof Uint32Array) [descr, size] = ['<u4', 4];
  else if (data instanceof Int32Array) [descr, size] = ['<i4', 4];
  else if (data instanceof BigInt64Array) [descr, size] = ['<i8', 8];
  else if (data instanceof Float32Array) [descr, size] = ['<f4', 4];
  else [descr, size] = ['<f8', 8];
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const headerBytes = 10 + dict.length;
  const out = new Uint8Array(headerBytes + data.length * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  for (let i = 0, o = headerBytes; i < data.length; i++, o += size) {
    const v = data[i];
    if (typeof v === 'bigint') view.setBigInt64(o, v, true);
    else if (options.dtype === 'float16') view.setUint16(o, floatToHalf(v), true);
    else if (options.dtype === 'bool') view.setUint8(o, v ? 1 : 0);
    else if (descr === '|u1') view.setUint8(o, v);
    else if (descr === '|i1') view.setInt8(o, v);
    else if (descr === '<u2') view.setUint16(o, v, true);
    else if (descr === '<i2') view.setInt16(o, v, true);
    else if (descr === '<u4') view.setUint32(o, v, true);
    else if (descr === '<i4') view.setInt32(o, v, true);
    else if (descr === '<f4') view.setFloat32(o, v, true);
    else view.setFloat64(o, v, true);
  }
  return out;
}

/** Rounds a number to a float16 bit pattern (round half up; enough for test fixtures). */
function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >> (1 - exp);
    return sign | ((m + 0x1000) >> 13);
  }
  return sign | ((exp << 10) + ((mant + 0x1000) >> 13));
}
