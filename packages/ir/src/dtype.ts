/**
 * ONNX tensor element types, with the numbers `TensorProto.DataType` uses on the wire.
 *
 * @example
 * DataType.FLOAT; // 1
 * dataTypeName(DataType.INT4); // 'int4'
 */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

/** An ONNX element type number (unknown future numbers are allowed and passed through). */
export type DataType = number;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]));

/** Bits per element on the wire (`raw_data`), or undefined for strings and unknown types. */
const BITS: Record<number, number> = {
  [DataType.FLOAT]: 32,
  [DataType.UINT8]: 8,
  [DataType.INT8]: 8,
  [DataType.UINT16]: 16,
  [DataType.INT16]: 16,
  [DataType.INT32]: 32,
  [DataType.INT64]: 64,
  [DataType.BOOL]: 8,
  [DataType.FLOAT16]: 16,
  [DataType.DOUBLE]: 64,
  [DataType.UINT32]: 32,
  [DataType.UINT64]: 64,
  [DataType.COMPLEX64]: 64,
  [DataType.COMPLEX128]: 128,
  [DataType.BFLOAT16]: 16,
  [DataType.FLOAT8E4M3FN]: 8,
  [DataType.FLOAT8E4M3FNUZ]: 8,
  [DataType.FLOAT8E5M2]: 8,
  [DataType.FLOAT8E5M2FNUZ]: 8,
  [DataType.UINT4]: 4,
  [DataType.INT4]: 4,
  [DataType.FLOAT4E2M1]: 4,
};

/**
 * Lower-case name of a data type, e.g. `float`, `int4`; `dtype(99)` for unknown numbers.
 *
 * @example
 * dataTypeName(10); // 'float16'
 */
export function dataTypeName(dataType: DataType): string {
  return NAMES[dataType] ?? `dtype(${dataType})`;
}

/**
 * Bits one element takes in `raw_data` (4 for int4/uint4, which pack two per byte).
 *
 * @example
 * bitsOf(DataType.FLOAT16); // 16
 */
export function bitsOf(dataType: DataType): number | undefined {
  return BITS[dataType];
}

/**
 * Bytes needed for `count` elements in `raw_data` (4-bit types round up to whole bytes).
 *
 * @example
 * byteLengthOf(DataType.INT4, 3); // 2
 */
export function byteLengthOf(dataType: DataType, count: number): number | undefined {
  const bits = BITS[dataType];
  return bits === undefined ? undefined : Math.ceil((bits * count) / 8);
}

/** True for float, float16, bfloat16 and double. */
export function isFloatType(dataType: DataType): boolean {
  return dataType === DataType.FLOAT || dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16 || dataType === DataType.DOUBLE;
}
