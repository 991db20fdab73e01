import { ErrorCodes, MetacompressError, isMetacompressError, type ErrorDetails } from '@metacompress/core';
import { onnxTypes } from './onnx-schema';

/** Where in a model a value sits, for error messages: the file, the innermost node and a field path. */
export interface Where {
  file?: string;
  node?: string;
  opType?: string;
  /** Dotted path from the top-level message, e.g. `graph.node[3].attribute 'pads'.ints`. */
  path: string;
}

/**
 * Error details for a {@link Where}.
 *
 * @example
 * detailsOf({ file: 'm.onnx', node: 'conv1', path: 'graph.node[0]' }); // { field: 'graph.node[0]', file: 'm.onnx', node: 'conv1' }
 */
export function detailsOf(where: Where, field = where.path): ErrorDetails {
  const details: ErrorDetails = { field };
  if (where.file !== undefined) details.file = where.file;
  if (where.node !== undefined) details.node = where.node;
  if (where.opType !== undefined) details.opType = where.opType;
  return details;
}

/**
 * Throws a {@link MetacompressError} with `code` located at `where`.
 *
 * @example
 * fail(ErrorCodes.MODEL_INVALID, 'the node has no op_type', where, `${where.path}.op_type`);
 */
export function fail(code: string, reason: string, where: Where, field?: string): never {
  throw new MetacompressError(code, reason, detailsOf(where, field));
}

const WIRE_NAMES = [
  'varint',
  '64-bit',
  'length-delimited',
  'start-group',
  'end-group',
  '32-bit',
  'invalid(6)',
  'invalid(7)',
];

function readVarint(bytes: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= bytes.length) return undefined;
    const b = bytes[pos + i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return { value, next: pos + i + 1 };
  }
  return { value: Number.NaN, next: pos + 10 };
}

/**
 * Checks the unknown fields protobufjs kept on a decoded message: a field this schema knows that
 * arrived with another wire type means the bytes are corrupt (protobufjs skips such fields silently),
 * so it throws `MC_ONNX_DECODE` naming the field. Fields with numbers the schema does not know
 * (from newer ONNX versions) are ignored.
 *
 * @example
 * checkUnknownFields(nodeMessage, 'NodeProto', { file, node: 'conv1', path: 'graph.node[0]' });
 */
export function checkUnknownFields(message: object, typeName: string, where: Where): void {
  const unknowns = (message as { $unknowns?: Uint8Array[] }).$unknowns;
  if (!unknowns || unknowns.length === 0) return;
  const fields = onnxTypes().fieldNames.get(`onnx.${typeName}`);
  for (const raw of unknowns) {
    const tag = readVarint(raw, 0);
    if (!tag || !Number.isFinite(tag.value)) continue;
    const id = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    const known = fields?.get(id);
    if (known && !known.wireTypes.includes(wire)) {
      fail(
        ErrorCodes.MODEL_DECODE,
        `${typeName}.${known.name} (field ${id}) has wire type ${WIRE_NAMES[wire]}, expected ${known.wireTypes.map((w) => WIRE_NAMES[w]).join(' or ')}`,
        where,
        `${where.path ? `${where.path}.` : ''}${known.name}`,
      );
    }
  }
}

/**
 * Walks the top-level fields of a message in `bytes` without decoding them and says whether the bytes
 * end inside a field (`truncated`), hold something that is not this message (`corrupt`), or look whole.
 *
 * @example
 * scanTopLevel(bytes.subarray(0, 100), 'ModelProto'); // 'truncated'
 */
export function scanTopLevel(bytes: Uint8Array, typeName: string): 'truncated' | 'corrupt' | 'whole' {
  const fields = onnxTypes().fieldNames.get(`onnx.${typeName}`);
  let pos = 0;
  while (pos < bytes.length) {
    const tag = readVarint(bytes, pos);
    if (!tag) return 'truncated';
    if (!Number.isFinite(tag.value)) return 'corrupt';
    const id = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    const known = fields?.get(id);
    if (id === 0 || !known || !known.wireTypes.includes(wire)) return 'corrupt';
    pos = tag.next;
    if (wire === 0) {
      const v = readVarint(bytes, pos);
      if (!v) return 'truncated';
      if (!Number.isFinite(v.value)) return 'corrupt';
      pos = v.next;
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const len = readVarint(bytes, pos);
      if (!len) return 'truncated';
      if (!Number.isFinite(len.value)) return 'corrupt';
      pos = len.next + len.value;
    } else {
      return 'corrupt';
    }
    if (pos > bytes.length) return 'truncated';
  }
  return 'whole';
}

/**
 * Turns whatever protobufjs threw while decoding `bytes` as `typeName` into a typed error:
 * `MC_ONNX_TRUNCATED` when the bytes end inside a top-level field, `MC_ONNX_DECODE` otherwise.
 *
 * @example
 * try { ModelProto.decode(bytes) } catch (error) { throw decodeFailure(error, bytes, 'ModelProto', 'model.onnx') }
 */
export function decodeFailure(
  error: unknown,
  bytes: Uint8Array,
  typeName: string,
  file: string | undefined,
): MetacompressError {
  if (isMetacompressError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const details: ErrorDetails = file === undefined ? {} : { file };
  const shape = scanTopLevel(bytes, typeName);
  if (shape === 'truncated') {
    return new MetacompressError(
      ErrorCodes.MODEL_TRUNCATED,
      `the ${typeName} ends early (${bytes.length} bytes): ${message}`,
      details,
      { cause: error },
    );
  }
  const what =
    shape === 'corrupt'
      ? `the bytes are not an ONNX ${typeName}`
      : `a nested message of the ${typeName} is corrupt`;
  return new MetacompressError(ErrorCodes.MODEL_DECODE, `${what}: ${message}`, details, { cause: error });
}
