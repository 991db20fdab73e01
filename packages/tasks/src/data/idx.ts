import { gunzipSync } from 'node:zlib';
import { ErrorCodes, MetacompressError, type DenseTensor } from '@metacompress/core';
import { formatShape, readDataFile } from './read-file';

/** Magic number of an idx file of unsigned bytes with 3 dims (MNIST images). */
export const IDX_MAGIC_IMAGES = 0x00000803;
/** Magic number of an idx file of unsigned bytes with 1 dim (MNIST labels). */
export const IDX_MAGIC_LABELS = 0x00000801;

/** Arrays an idx file decodes to. */
export type IdxArray = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

interface IdxType {
  name: string;
  size: number;
  make(n: number): IdxArray;
  read(view: DataView, offset: number): number;
}

const IDX_TYPES: Record<number, IdxType> = {
  0x08: { name: 'uint8', size: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  0x09: { name: 'int8', size: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  0x0b: { name: 'int16', size: 2, make: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o, false) },
  0x0c: { name: 'int32', size: 4, make: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o, false) },
  0x0d: { name: 'float32', size: 4, make: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o, false) },
  0x0e: { name: 'float64', size: 8, make: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o, false) },
};

const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Describes an idx magic number for messages.
 *
 * @example
 * describeIdxMagic(0x00000803); // "0x00000803 (uint8, rank 3)"
 */
export function describeIdxMagic(magic: number): string {
  const hex = `0x${(magic >>> 0).toString(16).padStart(8, '0')}`;
  const type = IDX_TYPES[(magic >>> 8) & 0xff];
  if (magic >>> 16 !== 0 || !type) return hex;
  return `${hex} (${type.name}, rank ${magic & 0xff})`;
}

function formatError(file: string | undefined, reason: string): MetacompressError {
  return new MetacompressError(ErrorCodes.DATA_FORMAT, reason, file ? { file } : {});
}

/**
 * Decodes an idx file (LeCun's MNIST format: 2 zero bytes, a type byte, a rank byte, big-endian
 * uint32 dims, then big-endian values). Gzipped files (`.gz`) are inflated first. Every length is
 * checked against the dims before anything is allocated.
 *
 * @throws `MC_DATA_FORMAT` for a wrong magic number, an unknown type, a truncated file or trailing bytes.
 * @example
 * const images = readIdx(bytes, { file: 'train-images-idx3-ubyte' }); // { dims: [60000, 28, 28], data: Uint8Array }
 */
export function readIdx(input: Uint8Array, options: { file?: string } = {}): DenseTensor<IdxArray> & { magic: number } {
  const { file } = options;
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const out = gunzipSync(bytes);
      bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      throw new MetacompressError(ErrorCodes.DATA_FORMAT, `corrupt gzip stream: ${(error as Error).message}`, file ? { file } : {}, {
        cause: error,
      });
    }
  }
  if (bytes.length < 4) throw formatError(file, `truncated idx file: ${bytes.length} bytes, the magic number alone needs 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = IDX_TYPES[bytes[2]];
  const rank = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || rank === 0) {
    throw formatError(
      file,
      `not an idx file: magic number ${describeIdxMagic(magic)}; expected 0x000008NN for unsigned bytes ` +
        `(${describeIdxMagic(IDX_MAGIC_IMAGES)} for images, ${describeIdxMagic(IDX_MAGIC_LABELS)} for labels)`,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw formatError(file, `truncated idx file: the header of a rank-${rank} file needs ${headerBytes} bytes, the file has ${bytes.length}`);
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const available = bytes.length - headerBytes;
  const needed = count * type.size;
  if (needed > available) {
    throw formatError(
      file,
      `truncated idx file: dims ${formatShape(dims)} of ${type.name} need ${needed} bytes of data, the file has ${available}`,
    );
  }
  if (needed < available) {
    throw formatError(file, `idx file has ${available - needed} bytes after the data of dims ${formatShape(dims)} (${type.name})`);
  }
  if (count > MAX_ELEMENTS) {
    throw new MetacompressError(ErrorCodes.TENSOR_TOO_LARGE, `idx dims ${formatShape(dims)} hold more than 2^31 elements`, file ? { file } : {});
  }
  let data: IdxArray;
  if (type.size === 1 && bytes[2] === 0x08) {
    data = bytes.slice(headerBytes, headerBytes + count);
  } else {
    data = type.make(count);
    for (let i = 0, o = headerBytes; i < count; i++, o += type.size) data[i] = type.read(view, o);
  }
  return { dims, data, magic };
}

/**
 * Reads and decodes an idx file (see {@link readIdx}); errors name the file.
 *
 * @example
 * const labels = await readIdxFile('t10k-labels-idx1-ubyte'); // { dims: [10000], data: Uint8Array }
 */
export async function readIdxFile(path: string): Promise<DenseTensor<IdxArray> & { magic: number }> {
  return readIdx(await readDataFile(path), { file: path });
}

/**
 * Encodes a tensor as an idx file (big-endian, uncompressed); the type byte follows the array class.
 *
 * @example
 * const bytes = writeIdx({ dims: [2], data: new Uint8Array([3, 7]) }); // a labels file, magic 0x00000801
 */
export function writeIdx(tensor: DenseTensor<IdxArray>): Uint8Array {
  const entry = Object.entries(IDX_TYPES).find(([, t]) => tensor.data.constructor === t.make(0).constructor);
  if (!entry) throw new MetacompressError(ErrorCodes.UNSUPPORTED_DTYPE, `idx cannot store ${tensor.data.constructor.name}`);
  const code = Number(entry[0]);
  const type = entry[1];
  const headerBytes = 4 + 4 * tensor.dims.length;
  const out = new Uint8Array(headerBytes + tensor.data.length * type.size);
  const view = new DataView(out.buffer);
  view.setUint32(0, (code << 8) | tensor.dims.length, false);
  tensor.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const data = tensor.data;
  for (let i = 0, o = headerBytes; i < data.length; i++, o += type.size) {
    const v = data[i];
    switch (code) {
      case 0x08: view.setUint8(o, v); break;
      case 0x09: view.setInt8(o, v); break;
      case 0x0b: view.setInt16(o, v, false); break;
      case 0x0c: view.setInt32(o, v, false); break;
      case 0x0d: view.setFloat32(o, v, false); break;
      default: view.setFloat64(o, v, false);
    }
  }
  return out;
}
