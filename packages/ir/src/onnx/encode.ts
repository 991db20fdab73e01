import protobuf from 'protobufjs';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { byteLengthOf, DataType, dataTypeName } from '../dtype';
import type { Attribute, Graph, GraphBody, Node, TypeInfo, ValueInfo } from '../graph';
import { elementCount, type Tensor } from '../tensor';
import { checkExternalLocation } from './external-data';
import { onnxTypes } from './onnx-schema';
import { fail, type Where } from './wire-errors';

/** Options of {@link encodeOnnx}. */
export interface EncodeOnnxOptions {
  /** A file name to put in error messages. */
  file?: string;
}

/** Where and which tensors {@link encodeOnnxWithExternalData} stores outside the model file. */
export interface ExternalDataOptions {
  /** Path of the data file relative to the model's folder, e.g. `model.onnx.data`. */
  location: string;
  /**
   * Initializers whose data has at least this many bytes go to the data file (default 1024).
   * Initializers marked `external` go there whatever their size.
   */
  threshold?: number;
  /** Byte alignment of each tensor in the data file (default 4096, the page size ONNX recommends). */
  alignment?: number;
  /** A file name to put in error messages. */
  file?: string;
}

/** The result of {@link encodeOnnxWithExternalData}: the model bytes and its external-data sidecar. */
export interface EncodedOnnxWithExternalData {
  /** The ModelProto bytes. */
  model: Uint8Array;
  /** The external-data file's bytes (empty when no tensor went there). */
  externalData: Uint8Array;
  /** Its location relative to the model's folder, as written in the model. */
  location: string;
  /** How many tensors were written to it. */
  tensorCount: number;
}

interface ExternalPlan {
  location: string;
  threshold: number;
  alignment: number;
  size: number;
  chunks: { offset: number; raw: Uint8Array }[];
}

interface Context {
  file?: string;
  /** Estimated bytes of the encoded model, to size the writer's buffer once. */
  estimate: number;
  external?: ExternalPlan;
}

type Proto = Record<string, unknown>;

const utf8 = new TextEncoder();
const TWO_63 = 2 ** 63;
const ATTRIBUTE_CODES: Record<Attribute['type'], number> = {
  undefined: 0,
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
  tensors: 9,
  graphs: 10,
  sparseTensor: 11,
  sparseTensors: 12,
  typeProto: 13,
  typeProtos: 14,
};

/**
 * An int64 for protobufjs: safe integers as they are; larger magnitudes clamped to the int64 range
 * (so a decoded INT64_MAX, which became 2^63 as a number, encodes back to INT64_MAX) as low/high words.
 */
function int64(n: number, where: Where, field: string): number | { low: number; high: number } {
  if (Number.isSafeInteger(n)) return n;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    fail(
      ErrorCodes.MODEL_INVALID,
      `${field} must be an integer, got ${String(n)}`,
      where,
      `${where.path}.${field}`,
    );
  }
  const big = n >= TWO_63 ? 2n ** 63n - 1n : n <= -TWO_63 ? -(2n ** 63n) : BigInt(n);
  const u = BigInt.asUintN(64, big);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0 };
}

function optionalText(proto: Proto, key: string, value: string | undefined): void {
  if (value) proto[key] = value;
}

function entries(
  value: readonly { key: string; value: string }[] | undefined,
): { key: string; value: string }[] | undefined {
  return value && value.length ? value.map((e) => ({ key: e.key, value: e.value })) : undefined;
}

function tensorToProto(t: Tensor, where: Where, ctx: Context, externalize: boolean): Proto {
  if (!t || typeof t !== 'object') fail(ErrorCodes.MODEL_INVALID, 'expected a tensor', where);
  const dims = Array.from(t.dims ?? [], Number);
  const count = elementCount(dims, { file: where.file, node: where.node, field: `${where.path}.dims` });
  const proto: Proto = { dims, dataType: t.dataType };
  optionalText(proto, 'name', t.name);
  if (t.dataType === DataType.STRING) {
    const strings = t.strings ?? [];
    if (strings.length !== count) {
      fail(
        ErrorCodes.MODEL_INVALID,
        `a string tensor with dims [${dims.join(', ')}] holds ${strings.length} strings`,
        where,
        `${where.path}.string_data`,
      );
    }
    proto.stringData = strings;
    for (const s of strings) ctx.estimate += s.byteLength + 4;
  } else if (t.raw) {
    const need = byteLengthOf(t.dataType, count);
    if (need !== undefined && t.raw.byteLength !== need) {
      fail(
        ErrorCodes.MODEL_INVALID,
        `tensor '${t.name}' holds ${t.raw.byteLength} bytes but dims [${dims.join(', ')}] of ${dataTypeName(t.dataType)} need ${need}`,
        where,
        `${where.path}.raw_data`,
      );
    }
    const plan = ctx.external;
    if (
      externalize &&
      plan &&
      t.raw.byteLength > 0 &&
      (t.external !== undefined || t.raw.byteLength >= plan.threshold)
    ) {
      const offset = Math.ceil(plan.size / plan.alignment) * plan.alignment;
      plan.chunks.push({ offset, raw: t.raw });
      plan.size = offset + t.raw.byteLength;
      proto.dataLocation = 1;
      proto.externalData = [
        { key: 'location', value: plan.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(t.raw.byteLength) },
      ];
      ctx.estimate += 96 + plan.location.length;
    } else {
      proto.rawData = t.raw;
      ctx.estimate += t.raw.byteLength;
    }
  } else if (t.external) {
    fail(
      ErrorCodes.EXTERNAL_DATA_MISSING,
      `tensor '${t.name}' refers to external data '${t.external.location}' that was not loaded; decode with loadExternal to save it`,
      where,
      `${where.path}.external_data`,
    );
  } else if (count > 0 && byteLengthOf(t.dataType, count) !== undefined) {
    fail(
      ErrorCodes.MODEL_INVALID,
      `tensor '${t.name}' has dims [${dims.join(', ')}] but no data`,
      where,
      `${where.path}.raw_data`,
    );
  } else {
    proto.rawData = new Uint8Array(0);
  }
  optionalText(proto, 'docString', t.docString);
  const meta = entries(t.metadataProps);
  if (meta) proto.metadataProps = meta;
  ctx.estimate += 32 + (t.name?.length ?? 0) + dims.length * 10;
  return proto;
}

function typeToProto(type: TypeInfo, where: Where): unknown {
  if (type.kind !== 'tensor') return type.proto;
  const tensorType: Proto = { elemType: type.elemType };
  if (type.shape) {
    tensorType.shape = {
      dim: type.shape.map((d, i) => {
        const dim: Proto = {};
        if (typeof d === 'number') dim.dimValue = int64(d, where, `shape[${i}]`);
        else if (typeof d === 'string') dim.dimParam = d;
        const denotation = type.dimDenotations?.[i];
        if (denotation) dim.denotation = denotation;
        return dim;
      }),
    };
  }
  const proto: Proto = { tensorType };
  optionalText(proto, 'denotation', type.denotation);
  return proto;
}

function valueInfoToProto(v: ValueInfo, where: Where, ctx: Context): Proto {
  const proto: Proto = { name: v.name };
  if (v.type) proto.type = typeToProto(v.type, where);
  optionalText(proto, 'docString', v.docString);
  const meta = entries(v.metadataProps);
  if (meta) proto.metadataProps = meta;
  ctx.estimate += 32 + v.name.length + (v.type?.kind === 'tensor' ? (v.type.shape?.length ?? 0) * 12 : 64);
  return proto;
}

function attributeToProto(name: string, a: Attribute, where: Where, ctx: Context): Proto {
  const code = ATTRIBUTE_CODES[a.type];
  if (code === undefined) fail(ErrorCodes.MODEL_INVALID, `unknown attribute type '${String(a.type)}'`, where);
  const proto: Proto = { name, type: code };
  ctx.estimate += 16 + name.length;
  if (a.value !== undefined && a.value !== null) {
    switch (a.type) {
      case 'float':
        proto.f = a.value;
        break;
      case 'int':
        proto.i = int64(a.value, where, 'i');
        break;
      case 'string': {
        const s = utf8.encode(a.value);
        proto.s = s;
        ctx.estimate += s.byteLength;
        break;
      }
      case 'tensor':
        proto.t = tensorToProto(a.value, { ...where, path: `${where.path}.t` }, ctx, false);
        break;
      case 'graph':
        proto.g = graphBodyToProto(a.value, { ...where, path: `${where.path}.g` }, ctx);
        break;
      case 'floats':
        proto.floats = Array.from(a.value);
        ctx.estimate += a.value.length * 5;
        break;
      case 'ints':
        proto.ints = a.value.map((v, i) => int64(v, where, `ints[${i}]`));
        ctx.estimate += a.value.length * 11;
        break;
      case 'strings':
        proto.strings = a.value.map((s) => utf8.encode(s));
        ctx.estimate += a.value.reduce((n, s) => n + s.length * 3 + 2, 0);
        break;
      case 'tensors':
        proto.tensors = a.value.map((t, i) =>
          tensorToProto(t, { ...where, path: `${where.path}.tensors[${i}]` }, ctx, false),
        );
        break;
      case 'graphs':
        proto.graphs = a.value.map((g, i) =>
          graphBodyToProto(g, { ...where, path: `${where.path}.graphs[${i}]` }, ctx),
        );
        break;
      case 'sparseTensor':
        proto.sparseTensor = a.value;
        break;
      case 'sparseTensors':
        proto.sparseTensors = a.value;
        break;
      case 'typeProto':
        proto.tp = a.value;
        break;
      case 'typeProtos':
        proto.typeProtos = a.value;
        break;
      default:
        break;
    }
  }
  optionalText(proto, 'refAttrName', a.refAttrName);
  optionalText(proto, 'docString', a.docString);
  return proto;
}

function nodeToProto(n: Node, index: number, where: Where, ctx: Context): Proto {
  const here: Where = {
    file: where.file,
    node: n.name || `#${index} (${n.opType})`,
    opType: n.opType,
    path: `${where.path}.node[${index}]`,
  };
  if (!n.opType) fail(ErrorCodes.MODEL_INVALID, 'the node has no op_type', here, `${here.path}.op_type`);
  const proto: Proto = { input: n.inputs, output: n.outputs, opType: n.opType };
  optionalText(proto, 'name', n.name);
  optionalText(proto, 'domain', n.domain);
  optionalText(proto, 'overload', n.overload);
  optionalText(proto, 'docString', n.docString);
  const attribute: Proto[] = [];
  for (const [name, a] of Object.entries(n.attributes ?? {})) {
    attribute.push(attributeToProto(name, a, { ...here, path: `${here.path}.attribute '${name}'` }, ctx));
  }
  if (attribute.length) proto.attribute = attribute;
  const meta = entries(n.metadataProps);
  if (meta) proto.metadataProps = meta;
  if (n.deviceConfigurations?.length) proto.deviceConfigurations = n.deviceConfigurations;
  ctx.estimate +=
    32 + n.opType.length + n.name.length + [...n.inputs, ...n.outputs].reduce((s, v) => s + v.length + 2, 0);
  return proto;
}

function graphBodyToProto(g: GraphBody, where: Where, ctx: Context): Proto {
  const proto: Proto = {
    node: g.nodes.map((n, i) => nodeToProto(n, i, where, ctx)),
    initializer: g.initializers.map((t, i) =>
      tensorToProto(t, { ...where, path: `${where.path}.initializer[${i}] '${t.name}'` }, ctx, true),
    ),
    input: g.inputs.map((v, i) => valueInfoToProto(v, { ...where, path: `${where.path}.input[${i}]` }, ctx)),
    output: g.outputs.map((v, i) =>
      valueInfoToProto(v, { ...where, path: `${where.path}.output[${i}]` }, ctx),
    ),
    valueInfo: g.valueInfo.map((v, i) =>
      valueInfoToProto(v, { ...where, path: `${where.path}.value_info[${i}]` }, ctx),
    ),
  };
  optionalText(proto, 'name', g.name);
  optionalText(proto, 'docString', g.docString);
  if (g.sparseInitializers?.length) proto.sparseInitializer = g.sparseInitializers;
  if (g.quantizationAnnotation?.length) proto.quantizationAnnotation = g.quantizationAnnotation;
  const meta = entries(g.metadataProps);
  if (meta) proto.metadataProps = meta;
  return proto;
}

function modelToProto(graph: Graph, ctx: Context): Proto {
  const where: Where = { file: ctx.file, path: '' };
  const m = graph.model;
  if (!m)
    fail(ErrorCodes.INVALID_ARGUMENT, 'the graph has no model information (graph.model)', where, 'model');
  const proto: Proto = {
    irVersion: int64(m.irVersion, where, 'ir_version'),
    opsetImport: (m.opsetImports ?? []).map((o, i) => ({
      domain: o.domain,
      version: int64(o.version, where, `opset_import[${i}].version`),
    })),
    graph: graphBodyToProto(graph, { ...where, path: 'graph' }, ctx),
  };
  if (m.producerName !== undefined) proto.producerName = m.producerName;
  if (m.producerVersion !== undefined) proto.producerVersion = m.producerVersion;
  if (m.domain !== undefined) proto.domain = m.domain;
  if (m.modelVersion !== undefined) proto.modelVersion = int64(m.modelVersion, where, 'model_version');
  optionalText(proto, 'docString', m.docString);
  const meta = entries(m.metadataProps);
  if (meta) proto.metadataProps = meta;
  if (m.trainingInfo?.length) proto.trainingInfo = m.trainingInfo;
  if (m.functions?.length) proto.functions = m.functions;
  if (m.configuration?.length) proto.configuration = m.configuration;
  return proto;
}

/** The largest protobuf message ONNX runtimes accept (2 GiB − 1). */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

function encodeWith(type: protobuf.Type, proto: Proto, ctx: Context): Uint8Array {
  if (ctx.estimate > PROTOBUF_LIMIT) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `the model needs about ${ctx.estimate} bytes, over the 2 GiB protobuf limit; save it with external data`,
      { field: 'externalData', ...(ctx.file === undefined ? {} : { file: ctx.file }) },
    );
  }
  const writer = protobuf.Writer.create() as protobuf.Writer & { _reserve?: (n: number) => void };
  // Size the buffer once (untouched capacity costs no memory) instead of doubling it while writing;
  // then return a view of it instead of a copy.
  if (typeof writer._reserve === 'function') writer._reserve(Math.ceil(ctx.estimate * 1.05) + 4096);
  type.encode(proto, writer);
  const out = (writer.finish as (shared?: boolean) => Uint8Array).call(writer, true);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Encodes an IR graph as ONNX ModelProto bytes with every tensor embedded (`raw_data`; string tensors
 * as `string_data`). The output decodes back to a deep-equal graph, and encoding that again gives the
 * same bytes. Tensors marked `external` are embedded too; use {@link encodeOnnxWithExternalData} to
 * keep them apart. Throws `MC_MODEL_INVALID` for data that disagrees with dims or non-integer ints.
 *
 * @example
 * const bytes = encodeOnnx(graph);
 * await writeFileAtomic('small.onnx', bytes);
 */
export function encodeOnnx(graph: Graph, options: EncodeOnnxOptions = {}): Uint8Array {
  const ctx: Context = { file: options.file, estimate: 0 };
  const proto = modelToProto(graph, ctx);
  return encodeWith(onnxTypes().ModelProto, proto, ctx);
}

/**
 * Encodes an IR graph as ONNX with large initializers (and those marked `external`) stored in one
 * external-data file: returns the model bytes and the data file's bytes, which must be written to
 * `location` relative to the model's folder. Offsets are aligned to `alignment` bytes.
 *
 * @example
 * const { model, externalData } = encodeOnnxWithExternalData(graph, { location: 'model.onnx.data' });
 */
export function encodeOnnxWithExternalData(
  graph: Graph,
  options: ExternalDataOptions,
): EncodedOnnxWithExternalData {
  const where: Where = { file: options.file, path: 'externalData.location' };
  const location = checkExternalLocation(options.location, where);
  const threshold = options.threshold ?? 1024;
  const alignment = options.alignment ?? 4096;
  if (!(threshold >= 0) || !Number.isInteger(alignment) || alignment < 1) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      'externalData threshold must be ≥ 0 and alignment a positive integer',
      { field: 'externalData' },
    );
  }
  const plan: ExternalPlan = { location, threshold, alignment, size: 0, chunks: [] };
  const ctx: Context = { file: options.file, estimate: 0, external: plan };
  const proto = modelToProto(graph, ctx);
  const model = encodeWith(onnxTypes().ModelProto, proto, ctx);
  const externalData = new Uint8Array(plan.size);
  for (const { offset, raw } of plan.chunks) externalData.set(raw, offset);
  return { model, externalData, location, tensorCount: plan.chunks.length };
}

/**
 * Encodes one tensor as TensorProto bytes (the format of ONNX test data `*.pb` files).
 *
 * @example
 * await writeFile('input_0.pb', encodeTensorProto(createTensor('x', DataType.FLOAT, [1], [0.5])));
 */
export function encodeTensorProto(tensor: Tensor): Uint8Array {
  const ctx: Context = { estimate: 0 };
  const proto = tensorToProto(tensor, { path: 'tensor' }, ctx, false);
  return encodeWith(onnxTypes().TensorProto, proto, ctx);
}
