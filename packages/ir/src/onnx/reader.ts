import protobuf from 'protobufjs';

/**
 * A 64-bit integer as decoded by the ONNX codec: two's-complement 32-bit words, as long.js and
 * protobufjs use them. protobufjs returns `Long` objects or lossy numbers depending on whether it
 * found the `long` package at load time (it does not under every loader), so the codec reads int64
 * fields itself and always gets exact values. Re-encoding accepts these objects as they are.
 *
 * @example
 * new Int64Value(-1, 0x7fffffff, false).toString(); // '9223372036854775807'
 */
export class Int64Value {
  constructor(
    readonly low: number,
    readonly high: number,
    readonly unsigned: boolean,
  ) {}

  /** The value as a JS number (exact up to 2^53). */
  toNumber(): number {
    return this.unsigned
      ? (this.high >>> 0) * 4294967296 + (this.low >>> 0)
      : this.high * 4294967296 + (this.low >>> 0);
  }

  /** The value as a bigint (exact). */
  toBigInt(): bigint {
    const big = (BigInt(this.high >>> 0) << 32n) | BigInt(this.low >>> 0);
    return this.unsigned ? big : BigInt.asIntN(64, big);
  }

  /** Decimal text (exact). */
  toString(): string {
    return this.toBigInt().toString();
  }
}

interface ReaderState {
  buf: Uint8Array;
  pos: number;
  len: number;
}

function readVarint64(r: ReaderState, unsigned: boolean): Int64Value {
  const { buf, len } = r;
  let pos = r.pos;
  let lo = 0;
  let hi = 0;
  const next = (): number => {
    if (pos >= len) throw new RangeError(`index out of range: ${pos} + 1 > ${len}`);
    return buf[pos++];
  };
  for (let i = 0; i < 4; i++) {
    const b = next();
    lo = (lo | ((b & 127) << (i * 7))) >>> 0;
    if (b < 128) {
      r.pos = pos;
      return new Int64Value(lo | 0, 0, unsigned);
    }
  }
  let b = next();
  lo = (lo | ((b & 127) << 28)) >>> 0;
  hi = (b & 127) >> 4;
  if (b < 128) {
    r.pos = pos;
    return new Int64Value(lo | 0, hi | 0, unsigned);
  }
  for (let i = 0; i < 5; i++) {
    b = next();
    hi = (hi | ((b & 127) << (i * 7 + 3))) >>> 0;
    if (b < 128) {
      r.pos = pos;
      return new Int64Value(lo | 0, hi | 0, unsigned);
    }
  }
  throw new Error('invalid varint encoding');
}

class OnnxReader extends protobuf.Reader {
  override int64(): protobuf.Long {
    return readVarint64(this, false) as unknown as protobuf.Long;
  }

  override uint64(): protobuf.Long {
    return readVarint64(this, true) as unknown as protobuf.Long;
  }
}

class OnnxBufferReader extends protobuf.BufferReader {
  override int64(): protobuf.Long {
    return readVarint64(this, false) as unknown as protobuf.Long;
  }

  override uint64(): protobuf.Long {
    return readVarint64(this, true) as unknown as protobuf.Long;
  }
}

/**
 * A protobufjs reader over `bytes` that decodes int64/uint64 fields as exact {@link Int64Value}s
 * and keeps unknown fields (`$unknowns`) so that wrong wire types can be reported.
 *
 * @example
 * const message = onnxTypes().ModelProto.decode(createReader(bytes));
 */
export function createReader(bytes: Uint8Array): protobuf.Reader {
  const reader =
    typeof Buffer !== 'undefined' && Buffer.isBuffer(bytes)
      ? new OnnxBufferReader(bytes)
      : new OnnxReader(bytes);
  (reader as protobuf.Reader & { discardUnknown: boolean }).discardUnknown = false;
  return reader;
}
