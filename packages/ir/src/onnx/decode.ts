import type protobuf from 'protobufjs';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { byteLengthOf, DataType, dataTypeName } from '../dtype';
import type {
  Attribute,
  Dim,
  Graph,
  GraphBody,
  ModelInfo,
  Node,
  OpsetImport,
  TypeInfo,
  ValueInfo,
} from '../graph';
import { elementCount, type ExternalDataRef, type Tensor } from '../tensor';
import { ExternalDataReader, parseExternalData } from './external-data';
import { onnxTypes } from './onnx-schema';
import { createReader } from './reader';
import { checkUnknownFields, decodeFailure, fail, type Where } from './wire-errors';

/** Options of {@link decodeOnnx}. */
export interface DecodeOnnxOptions {
  /** The model's path, named in error messages. */
  file?: string;
  /** Folder that external-data locations are relative to (usually the model file's folder). */
  baseDir?: string;
  /**
   * Read tensors stored as external data (default: true when `baseDir` is given). When false they
   * keep their `external` reference and have no `raw` bytes.
   */
  loadExternal?: boolean;
}

/** Options of {@link decodeTensorProto}. */
export interface DecodeTensorOptions {
  /** The tensor file's path, named in error messages. */
  file?: string;
  /** Folder that an external-data location is relative to; external data is read when given. */
  baseDir?: string;
}

// Shapes of the decoded protobufjs messages this module reads. Every field is optional because the
// decoder leaves absent fields unset (or on the prototype), and corrupt files can omit anything.
interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
  toNumber(): number;
}
type Int64 = number | LongLike;
interface Entry {
  key?: string;
  value?: string;
}
interface TensorMsg {
  dims?: Int64[];
  dataType?: number;
  segment?: object;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: Int64[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData?: Entry[];
  dataLocation?: number;
  doubleData?: number[];
  uint64Data?: Int64[];
  metadataProps?: Entry[];
}
interface DimensionMsg {
  dimValue?: Int64;
  dimParam?: string;
  denotation?: string;
}
interface TypeMsg {
  tensorType?: { elemType?: number; shape?: { dim?: DimensionMsg[] } };
  denotation?: string;
}
interface ValueInfoMsg {
  name?: string;
  type?: TypeMsg;
  docString?: string;
  metadataProps?: Entry[];
}
interface AttributeMsg {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorMsg;
  g?: GraphMsg;
  sparseTensor?: object;
  tp?: object;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorMsg[];
  graphs?: GraphMsg[];
  sparseTensors?: object[];
  typeProtos?: object[];
}
interface NodeMsg {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  overload?: string;
  attribute?: AttributeMsg[];
  docString?: string;
  metadataProps?: Entry[];
  deviceConfigurations?: object[];
}
interface GraphMsg {
  node?: NodeMsg[];
  name?: string;
  initializer?: TensorMsg[];
  sparseInitializer?: object[];
  docString?: string;
  input?: ValueInfoMsg[];
  output?: ValueInfoMsg[];
  valueInfo?: ValueInfoMsg[];
  quantizationAnnotation?: object[];
  metadataProps?: Entry[];
}
interface ModelMsg {
  irVersion?: Int64;
  opsetImport?: { domain?: string; version?: Int64 }[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphMsg;
  metadataProps?: Entry[];
  trainingInfo?: object[];
  functions?: object[];
  configuration?: object[];
}

interface Context {
  file?: string;
  external?: ExternalDataReader;
}

const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
const utf8 = new TextDecoder('utf-8');

/** Attribute type numbers of `AttributeProto.AttributeType`. */
const ATTRIBUTE_TYPES = [
  'undefined',
  'float',
  'int',
  'string',
  'tensor',
  'graph',
  'floats',
  'ints',
  'strings',
  'tensors',
  'graphs',
  'sparseTensor',
  'sparseTensors',
  'typeProto',
  'typeProtos',
] as const;

function toNumber(v: Int64 | undefined): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function list<T>(v: T[] | undefined | null): T[] {
  return Array.isArray(v) ? v : [];
}

function text(v: string | undefined | null): string {
  return typeof v === 'string' ? v : '';
}

function entries(v: Entry[] | undefined): { key: string; value: string }[] | undefined {
  const items = list(v);
  if (items.length === 0) return undefined;
  return items.map((e) => ({ key: text(e.key), value: text(e.value) }));
}

function lowHighBytes(values: Int64[], unsigned: boolean): Uint8Array {
  const words = new Int32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') {
      const big = unsigned
        ? BigInt.asUintN(64, BigInt(Math.trunc(v)))
        : BigInt.asIntN(64, BigInt(Math.trunc(v)));
      words[2 * i] = Number(big & 0xffffffffn) | 0;
      words[2 * i + 1] = Number((big >> 32n) & 0xffffffffn) | 0;
    } else {
      words[2 * i] = v.low | 0;
      words[2 * i + 1] = v.high | 0;
    }
  }
  return new Uint8Array(words.buffer);
}

/**
 * A plain Uint8Array over the same memory (protobufjs hands out Node Buffers, whose `slice` does not
 * copy; IR code may rely on `Uint8Array.prototype.slice` copying).
 */
function plainView(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Converts the typed `*_data` fields of a TensorProto to little-endian `raw` bytes per the ONNX spec. */
function typedFieldsToRaw(
  p: TensorMsg,
  dataType: number,
  count: number,
  where: Where,
): Uint8Array | undefined {
  const need = (values: unknown[], expected: number, field: string): boolean => {
    if (values.length === 0 && expected > 0) return false;
    if (values.length !== expected) {
      fail(
        ErrorCodes.MODEL_INVALID,
        `${field} holds ${values.length} values but dims need ${expected} (${dataTypeName(dataType)})`,
        where,
        `${where.path}.${field}`,
      );
    }
    return true;
  };
  switch (dataType) {
    case DataType.FLOAT:
    case DataType.COMPLEX64: {
      const values = list(p.floatData);
      if (!need(values, dataType === DataType.COMPLEX64 ? 2 * count : count, 'float_data')) return undefined;
      return bytesOf(Float32Array.from(values));
    }
    case DataType.DOUBLE:
    case DataType.COMPLEX128: {
      const values = list(p.doubleData);
      if (!need(values, dataType === DataType.COMPLEX128 ? 2 * count : count, 'double_data'))
        return undefined;
      return bytesOf(Float64Array.from(values));
    }
    case DataType.INT64: {
      const values = list(p.int64Data);
      if (!need(values, count, 'int64_data')) return undefined;
      return lowHighBytes(values, false);
    }
    case DataType.UINT64: {
      const values = list(p.uint64Data);
      if (!need(values, count, 'uint64_data')) return undefined;
      return lowHighBytes(values, true);
    }
    case DataType.UINT32: {
      const values = list(p.uint64Data);
      if (!need(values, count, 'uint64_data')) return undefined;
      return bytesOf(Uint32Array.from(values, (v) => (typeof v === 'number' ? v >>> 0 : v.low >>> 0)));
    }
    case DataType.INT32: {
      const values = list(p.int32Data);
      if (!need(values, count, 'int32_data')) return undefined;
      return bytesOf(Int32Array.from(values));
    }
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      const values = list(p.int32Data);
      if (!need(values, count, 'int32_data')) return undefined;
      return bytesOf(Uint16Array.from(values, (v) => v & 0xffff));
    }
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL:
    case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ:
    case 24 /* FLOAT8E8M0 */: {
      const values = list(p.int32Data);
      if (!need(values, count, 'int32_data')) return undefined;
      return Uint8Array.from(values, (v) => v & 0xff);
    }
    case DataType.INT4:
    case DataType.UINT4:
    case DataType.FLOAT4E2M1: {
      // 4-bit types are packed two per int32_data entry's low byte (first element in the low nibble).
      const values = list(p.int32Data);
      if (!need(values, Math.ceil(count / 2), 'int32_data')) return undefined;
      return Uint8Array.from(values, (v) => v & 0xff);
    }
    default: {
      const any = [p.floatData, p.int32Data, p.int64Data, p.doubleData, p.uint64Data].some(
        (v) => list(v as unknown[]).length > 0,
      );
      if (any) {
        fail(
          ErrorCodes.UNSUPPORTED_DTYPE,
          `cannot read typed data fields of a ${dataTypeName(dataType)} tensor`,
          where,
          `${where.path}.data_type`,
        );
      }
      return undefined;
    }
  }
}

function checkRawLength(raw: Uint8Array, dataType: number, count: number, where: Where, field: string): void {
  const need = byteLengthOf(dataType, count);
  if (need !== undefined && raw.byteLength !== need) {
    fail(
      ErrorCodes.MODEL_INVALID,
      `${field} holds ${raw.byteLength} bytes but dims of ${count} ${dataTypeName(dataType)} elements need ${need}`,
      where,
      `${where.path}.${field}`,
    );
  }
}

function tensorFromProto(p: TensorMsg, where: Where, ctx: Context): Tensor {
  checkUnknownFields(p, 'TensorProto', where);
  const name = text(p.name);
  const dataType = typeof p.dataType === 'number' ? p.dataType : 0;
  if (p.segment && has(p, 'segment')) {
    fail(
      ErrorCodes.MODEL_INVALID,
      'segmented tensors (TensorProto.segment) are not supported',
      where,
      `${where.path}.segment`,
    );
  }
  const dims = list(p.dims).map(toNumber);
  // Before anything is allocated: dims must be non-negative and their product at most 2^31 - 1.
  const count = elementCount(dims, { file: where.file, node: where.node, field: `${where.path}.dims` });
  const tensor: { -readonly [K in keyof Tensor]: Tensor[K] } = { name, dataType, dims };
  if (p.dataLocation === 1) {
    const ref: ExternalDataRef = parseExternalData(list(p.externalData), where);
    tensor.external = ref;
    if (ctx.external) {
      tensor.raw = ctx.external.read(ref, byteLengthOf(dataType, count), where);
      checkRawLength(tensor.raw, dataType, count, where, 'external_data');
    }
  } else if (dataType === DataType.STRING) {
    const strings = list(p.stringData);
    if (strings.length !== count) {
      fail(
        ErrorCodes.MODEL_INVALID,
        `string_data holds ${strings.length} strings but dims need ${count}`,
        where,
        `${where.path}.string_data`,
      );
    }
    tensor.strings = strings.map(plainView);
  } else if (p.rawData && has(p, 'rawData')) {
    checkRawLength(p.rawData, dataType, count, where, 'raw_data');
    tensor.raw = plainView(p.rawData);
  } else {
    const raw = typedFieldsToRaw(p, dataType, count, where);
    if (raw) tensor.raw = raw;
    else {
      const need = byteLengthOf(dataType, count);
      if (need !== undefined && need > 0) {
        fail(
          ErrorCodes.MODEL_INVALID,
          `the tensor has dims [${dims.join(', ')}] but no data`,
          where,
          `${where.path}.raw_data`,
        );
      }
      tensor.raw = new Uint8Array(0);
    }
  }
  if (p.docString) tensor.docString = p.docString;
  const meta = entries(p.metadataProps);
  if (meta) tensor.metadataProps = meta;
  return tensor;
}

function typeFromProto(t: TypeMsg, where: Where): TypeInfo {
  checkUnknownFields(t, 'TypeProto', where);
  const tt = t.tensorType;
  if (!tt || !has(t, 'tensorType')) return { kind: 'other', proto: t };
  checkUnknownFields(tt, 'TypeProto.Tensor', where);
  const info: {
    -readonly [K in keyof Extract<TypeInfo, { kind: 'tensor' }>]: Extract<TypeInfo, { kind: 'tensor' }>[K];
  } = {
    kind: 'tensor',
    elemType: typeof tt.elemType === 'number' ? tt.elemType : 0,
  };
  if (tt.shape && has(tt, 'shape')) {
    const dims = list(tt.shape.dim);
    const shape: Dim[] = [];
    const denotations: (string | undefined)[] = [];
    let anyDenotation = false;
    for (const d of dims) {
      if (d.dimValue !== undefined && d.dimValue !== null && has(d, 'dimValue'))
        shape.push(toNumber(d.dimValue));
      else if (typeof d.dimParam === 'string' && has(d, 'dimParam')) shape.push(d.dimParam);
      else shape.push(null);
      if (d.denotation) {
        anyDenotation = true;
        denotations.push(d.denotation);
      } else denotations.push(undefined);
    }
    info.shape = shape;
    if (anyDenotation) info.dimDenotations = denotations;
  }
  if (t.denotation) info.denotation = t.denotation;
  return info;
}

function valueInfoFromProto(v: ValueInfoMsg, where: Where): ValueInfo {
  checkUnknownFields(v, 'ValueInfoProto', where);
  const info: { -readonly [K in keyof ValueInfo]: ValueInfo[K] } = { name: text(v.name) };
  if (v.type && has(v, 'type')) info.type = typeFromProto(v.type, { ...where, path: `${where.path}.type` });
  if (v.docString) info.docString = v.docString;
  const meta = entries(v.metadataProps);
  if (meta) info.metadataProps = meta;
  return info;
}

function inferAttributeType(a: AttributeMsg): number {
  if (list(a.floats).length) return 6;
  if (list(a.ints).length) return 7;
  if (list(a.strings).length) return 8;
  if (list(a.tensors).length) return 9;
  if (list(a.graphs).length) return 10;
  if (list(a.sparseTensors).length) return 12;
  if (list(a.typeProtos).length) return 14;
  if (has(a, 'f')) return 1;
  if (has(a, 'i')) return 2;
  if (has(a, 's')) return 3;
  if (has(a, 't')) return 4;
  if (has(a, 'g')) return 5;
  if (has(a, 'sparseTensor')) return 11;
  if (has(a, 'tp')) return 13;
  return 0;
}

function attributeFromProto(a: AttributeMsg, where: Where, ctx: Context): Attribute {
  checkUnknownFields(a, 'AttributeProto', where);
  let code = typeof a.type === 'number' && a.type !== 0 ? a.type : inferAttributeType(a);
  const kind = ATTRIBUTE_TYPES[code];
  if (kind === undefined)
    fail(ErrorCodes.MODEL_INVALID, `unknown attribute type ${code}`, where, `${where.path}.type`);
  const isRef = typeof a.refAttrName === 'string' && a.refAttrName.length > 0;
  let attribute: Attribute;
  switch (kind) {
    case 'float':
      attribute = { type: kind, value: typeof a.f === 'number' ? a.f : 0 };
      break;
    case 'int':
      attribute = { type: kind, value: toNumber(a.i) };
      break;
    case 'string':
      attribute = { type: kind, value: a.s ? utf8.decode(a.s) : '' };
      break;
    case 'tensor':
      if (!a.t || !has(a, 't')) {
        if (!isRef)
          fail(ErrorCodes.MODEL_INVALID, 'a tensor attribute has no tensor', where, `${where.path}.t`);
        attribute = { type: kind, value: undefined as never };
      } else
        attribute = { type: kind, value: tensorFromProto(a.t, { ...where, path: `${where.path}.t` }, ctx) };
      break;
    case 'graph':
      if (!a.g || !has(a, 'g')) {
        if (!isRef)
          fail(ErrorCodes.MODEL_INVALID, 'a graph attribute has no graph', where, `${where.path}.g`);
        attribute = { type: kind, value: undefined as never };
      } else
        attribute = { type: kind, value: graphFromProto(a.g, { ...where, path: `${where.path}.g` }, ctx) };
      break;
    case 'floats':
      attribute = { type: kind, value: list(a.floats).slice() };
      break;
    case 'ints':
      attribute = { type: kind, value: list(a.ints).map(toNumber) };
      break;
    case 'strings':
      attribute = { type: kind, value: list(a.strings).map((s) => utf8.decode(s)) };
      break;
    case 'tensors':
      attribute = {
        type: kind,
        value: list(a.tensors).map((t, i) =>
          tensorFromProto(t, { ...where, path: `${where.path}.tensors[${i}]` }, ctx),
        ),
      };
      break;
    case 'graphs':
      attribute = {
        type: kind,
        value: list(a.graphs).map((g, i) =>
          graphFromProto(g, { ...where, path: `${where.path}.graphs[${i}]` }, ctx),
        ),
      };
      break;
    case 'sparseTensor':
      attribute = { type: kind, value: a.sparseTensor };
      break;
    case 'sparseTensors':
      attribute = { type: kind, value: list(a.sparseTensors) };
      break;
    case 'typeProto':
      attribute = { type: kind, value: a.tp };
      break;
    case 'typeProtos':
      attribute = { type: kind, value: list(a.typeProtos) };
      break;
    default:
      code = 0;
      attribute = { type: 'undefined', value: undefined };
  }
  if (isRef) attribute.refAttrName = a.refAttrName;
  if (a.docString) attribute.docString = a.docString;
  return attribute;
}

function nodeFromProto(n: NodeMsg, index: number, where: Where, ctx: Context): Node {
  const opType = text(n.opType);
  const name = text(n.name);
  const here: Where = {
    file: where.file,
    node: name || `#${index} (${opType || '?'})`,
    opType: opType || undefined,
    path: `${where.path}.node[${index}]`,
  };
  checkUnknownFields(n, 'NodeProto', here);
  if (!opType) fail(ErrorCodes.MODEL_INVALID, 'the node has no op_type', here, `${here.path}.op_type`);
  const attributes: Record<string, Attribute> = {};
  for (const a of list(n.attribute)) {
    const attrName = text(a.name);
    const path = `${here.path}.attribute '${attrName}'`;
    if (!attrName) fail(ErrorCodes.MODEL_INVALID, 'an attribute has no name', here, path);
    if (has(attributes, attrName))
      fail(ErrorCodes.MODEL_INVALID, `attribute '${attrName}' appears twice`, here, path);
    // defineProperty: an attribute named '__proto__' must stay an attribute, not replace the prototype.
    Object.defineProperty(attributes, attrName, {
      value: attributeFromProto(a, { ...here, path }, ctx),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const node: { -readonly [K in keyof Node]: Node[K] } = {
    name,
    opType,
    domain: text(n.domain),
    inputs: list(n.input).map(text),
    outputs: list(n.output).map(text),
    attributes,
  };
  if (n.docString) node.docString = n.docString;
  if (n.overload) node.overload = n.overload;
  const meta = entries(n.metadataProps);
  if (meta) node.metadataProps = meta;
  if (list(n.deviceConfigurations).length) node.deviceConfigurations = n.deviceConfigurations;
  return node;
}

function graphFromProto(g: GraphMsg, where: Where, ctx: Context): GraphBody {
  checkUnknownFields(g, 'GraphProto', where);
  const body: { -readonly [K in keyof GraphBody]: GraphBody[K] } = {
    name: text(g.name),
    nodes: list(g.node).map((n, i) => nodeFromProto(n, i, where, ctx)),
    inputs: list(g.input).map((v, i) =>
      valueInfoFromProto(v, { ...where, path: `${where.path}.input[${i}]` }),
    ),
    outputs: list(g.output).map((v, i) =>
      valueInfoFromProto(v, { ...where, path: `${where.path}.output[${i}]` }),
    ),
    valueInfo: list(g.valueInfo).map((v, i) =>
      valueInfoFromProto(v, { ...where, path: `${where.path}.value_info[${i}]` }),
    ),
    initializers: list(g.initializer).map((t, i) =>
      tensorFromProto(t, { ...where, path: `${where.path}.initializer[${i}] '${text(t.name)}'` }, ctx),
    ),
  };
  if (list(g.sparseInitializer).length) body.sparseInitializers = g.sparseInitializer;
  if (list(g.quantizationAnnotation).length) body.quantizationAnnotation = g.quantizationAnnotation;
  if (g.docString) body.docString = g.docString;
  const meta = entries(g.metadataProps);
  if (meta) body.metadataProps = meta;
  return body;
}

function modelFromProto(m: ModelMsg, bytes: Uint8Array, ctx: Context): Graph {
  const where: Where = { file: ctx.file, path: '' };
  checkUnknownFields(m, 'ModelProto', where);
  if (!m.graph || !has(m, 'graph')) {
    if (bytes.length === 0)
      throw new MetacompressError(
        ErrorCodes.MODEL_TRUNCATED,
        'the file is empty',
        ctx.file === undefined ? {} : { file: ctx.file },
      );
    fail(ErrorCodes.MODEL_DECODE, 'the bytes decode to no ONNX graph: not an ONNX model', where, 'graph');
  }
  const irVersion = toNumber(m.irVersion);
  const opsetImports: OpsetImport[] = list(m.opsetImport).map((o) => ({
    domain: text(o.domain),
    version: toNumber(o.version),
  }));
  if (opsetImports.length === 0 && irVersion >= 3) {
    fail(
      ErrorCodes.MODEL_INVALID,
      `a model of IR version ${irVersion} must import at least one opset (is the file cut short?)`,
      where,
      'opset_import',
    );
  }
  const model: { -readonly [K in keyof ModelInfo]: ModelInfo[K] } = {
    irVersion,
    opsetImports,
    metadataProps: entries(m.metadataProps) ?? [],
  };
  if (has(m, 'producerName')) model.producerName = text(m.producerName);
  if (has(m, 'producerVersion')) model.producerVersion = text(m.producerVersion);
  if (has(m, 'domain')) model.domain = text(m.domain);
  if (has(m, 'modelVersion')) model.modelVersion = toNumber(m.modelVersion);
  if (m.docString) model.docString = m.docString;
  if (list(m.functions).length) model.functions = m.functions;
  if (list(m.trainingInfo).length) model.trainingInfo = m.trainingInfo;
  if (list(m.configuration).length) model.configuration = m.configuration;
  const body = graphFromProto(m.graph, { ...where, path: 'graph' }, ctx);
  return { ...body, model };
}

function decodeMessage<T>(
  type: protobuf.Type,
  bytes: Uint8Array,
  typeName: string,
  file: string | undefined,
): T {
  if (!(bytes instanceof Uint8Array)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `expected the ${typeName} bytes as a Uint8Array`,
      file === undefined ? {} : { file },
    );
  }
  try {
    // Keeps unknown fields: a known field number with the wrong wire type lands there, and
    // checkUnknownFields turns it into an error that names the field.
    return type.decode(createReader(bytes)) as unknown as T;
  } catch (error) {
    throw decodeFailure(error, bytes, typeName, file);
  }
}

/**
 * Decodes an ONNX model (ModelProto bytes) into the IR. Tensor `raw` bytes are zero-copy views into
 * `bytes` (do not mutate `bytes` afterwards); typed `*_data` fields are converted to `raw` following
 * the ONNX spec; int64 values become numbers; nested graphs (If/Loop/Scan) become GraphBody values;
 * non-tensor types, sparse tensors, functions, training info and device configurations are carried
 * through as decoded protobuf objects (camelCase fields, int64 as exact `Int64Value`s).
 *
 * Errors (all `MetacompressError`, naming file, node and field): `MC_ONNX_TRUNCATED`,
 * `MC_ONNX_DECODE` (random bytes, wrong wire types), `MC_MODEL_INVALID` (data disagreeing with dims,
 * negative dims, missing op types), `MC_TENSOR_TOO_LARGE` (dims product over 2^31 − 1, checked before
 * allocating), `MC_EXTERNAL_DATA_PATH` / `MC_EXTERNAL_DATA_MISSING` for external data.
 *
 * @example
 * const graph = decodeOnnx(await readFile('model.onnx'), { file: 'model.onnx', baseDir: '.' });
 * graph.nodes[0].opType; // 'Conv'
 */
export function decodeOnnx(bytes: Uint8Array, options: DecodeOnnxOptions = {}): Graph {
  const { file, baseDir } = options;
  const loadExternal = options.loadExternal ?? baseDir !== undefined;
  if (loadExternal && baseDir === undefined) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      'loadExternal needs baseDir (the folder external data is relative to)',
      {
        field: 'baseDir',
        ...(file === undefined ? {} : { file }),
      },
    );
  }
  const message = decodeMessage<ModelMsg>(onnxTypes().ModelProto, bytes, 'ModelProto', file);
  const ctx: Context = {
    file,
    external: loadExternal && baseDir !== undefined ? new ExternalDataReader(baseDir) : undefined,
  };
  try {
    return modelFromProto(message, bytes, ctx);
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new MetacompressError(
        ErrorCodes.MODEL_DECODE,
        'the model nests graphs too deeply',
        file === undefined ? {} : { file },
        { cause: error },
      );
    }
    throw error;
  } finally {
    ctx.external?.close();
  }
}

/**
 * Decodes one serialized TensorProto (as in ONNX test data `input_0.pb`) into an IR tensor, with the
 * same conversions and checks as {@link decodeOnnx}.
 *
 * @example
 * const input = decodeTensorProto(await readFile('test_data_set_0/input_0.pb'));
 * toFloat32(input);
 */
export function decodeTensorProto(bytes: Uint8Array, options: DecodeTensorOptions = {}): Tensor {
  const message = decodeMessage<TensorMsg>(onnxTypes().TensorProto, bytes, 'TensorProto', options.file);
  const ctx: Context = {
    file: options.file,
    external: options.baseDir !== undefined ? new ExternalDataReader(options.baseDir) : undefined,
  };
  try {
    return tensorFromProto(message, { file: options.file, path: 'tensor' }, ctx);
  } finally {
    ctx.external?.close();
  }
}
