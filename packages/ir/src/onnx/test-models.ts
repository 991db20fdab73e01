/**
 * Test fixtures for the ONNX codec: ONNX messages written directly with protobufjs (not with the
 * codec's encoder), so tests compare the codec against independently made bytes.
 * Not exported from the package.
 */
import { onnxTypes } from './onnx-schema';

const utf8 = new TextEncoder();

/** Encodes a plain object (camelCase ONNX fields) as the named ONNX message. */
export function encodeMessage(typeName: string, value: Record<string, unknown>): Uint8Array {
  const type = onnxTypes().root.lookupType(`onnx.${typeName}`);
  return type.encode(value).finish();
}

/** Little-endian float32 bytes. */
export function f32(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** UTF-8 bytes. */
export function bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** INT64_MAX as protobufjs low/high words. */
export const INT64_MAX = { low: -1, high: 0x7fffffff, unsigned: false };
/** INT64_MIN as protobufjs low/high words. */
export const INT64_MIN = { low: 0, high: -0x80000000, unsigned: false };

const floatType = (shape?: unknown[]) => ({
  tensorType: { elemType: 1, ...(shape ? { shape: { dim: shape } } : {}) },
});

/**
 * A ModelProto (IR 10) that uses every part of the format the IR maps or carries: metadata at every
 * level, doc strings, a custom-domain op with every attribute type (and a ref_attr_name), nested
 * graphs (If with a nested If), dim_param/denotations, non-tensor types, sparse initializers,
 * quantization annotations, functions, training info and device configurations.
 */
export function richModel(): Record<string, unknown> {
  const inner = {
    name: 'inner_then',
    node: [{ opType: 'Identity', input: ['h'], output: ['z'] }],
    output: [{ name: 'z', type: floatType() }],
  };
  const thenBranch = {
    name: 'then',
    node: [
      { name: 'then_add', opType: 'Add', input: ['h', 'bias'], output: ['y_then'] },
      {
        name: 'nested_if',
        opType: 'If',
        input: ['cond'],
        output: ['unused'],
        attribute: [
          { name: 'then_branch', type: 5, g: inner },
          { name: 'else_branch', type: 5, g: { ...inner, name: 'inner_else' } },
        ],
      },
    ],
    initializer: [{ name: 'bias', dataType: 1, dims: [1], floatData: [0.25] }],
    output: [{ name: 'y_then', type: floatType() }],
  };
  const elseBranch = {
    name: 'else',
    node: [{ opType: 'Neg', input: ['h'], output: ['y_else'] }],
    output: [{ name: 'y_else', type: floatType() }],
  };
  return {
    irVersion: 10,
    producerName: 'metacompress-test',
    producerVersion: '0.1',
    domain: 'org.example',
    modelVersion: 3,
    docString: 'a model using every feature',
    opsetImport: [
      { domain: '', version: 21 },
      { domain: 'com.example', version: 1 },
    ],
    metadataProps: [{ key: 'author', value: 'tests' }],
    graph: {
      name: 'main',
      docString: 'the main graph',
      metadataProps: [{ key: 'graph_meta', value: '1' }],
      input: [
        {
          name: 'x',
          docString: 'the input',
          metadataProps: [{ key: 'vi', value: 'x' }],
          type: {
            ...floatType([{ dimParam: 'N', denotation: 'DATA_BATCH' }, { dimValue: 3 }, {}]),
            denotation: 'TENSOR',
          },
        },
        { name: 'seq', type: { sequenceType: { elemType: floatType() } } },
        { name: 'cond', type: { tensorType: { elemType: 9, shape: { dim: [] } } } },
      ],
      output: [{ name: 'y', type: floatType([{ dimParam: 'N' }, { dimValue: 3 }]) }],
      valueInfo: [{ name: 'h', type: floatType([{ dimValue: 0 }]) }],
      initializer: [
        {
          name: 'w',
          dataType: 1,
          dims: [2, 3],
          rawData: f32([1, 2, 3, 4, 5, 6]),
          docString: 'weights',
          metadataProps: [{ key: 't', value: 'w' }],
        },
        { name: 'half', dataType: 10, dims: [2], int32Data: [0x3c00, 0xc000] },
        { name: 'shape', dataType: 7, dims: [2], int64Data: [1, -1] },
        { name: 'names', dataType: 8, dims: [2], stringData: [bytes('cat'), bytes('dog')] },
        { name: 'scalar', dataType: 11, dims: [], doubleData: [2.5] },
      ],
      sparseInitializer: [
        {
          values: { name: 'sparse', dataType: 1, dims: [2], floatData: [1, 2] },
          indices: { dataType: 7, dims: [2], int64Data: [0, 5] },
          dims: [2, 3],
        },
      ],
      quantizationAnnotation: [
        { tensorName: 'w', quantParameterTensorNames: [{ key: 'SCALE_TENSOR', value: 'w_scale' }] },
      ],
      node: [
        {
          name: 'custom',
          opType: 'MyOp',
          domain: 'com.example',
          overload: 'v2',
          docString: 'an op of an unknown domain',
          metadataProps: [{ key: 'node_meta', value: 'yes' }],
          input: ['x', 'w', ''],
          output: ['h'],
          attribute: [
            { name: 'alpha', type: 1, f: 0.5, docString: 'a float' },
            { name: 'big', type: 2, i: INT64_MAX },
            { name: 'small', type: 2, i: INT64_MIN },
            { name: 'mode', type: 3, s: bytes('héllo') },
            { name: 'tensor', type: 4, t: { name: 'tt', dataType: 6, dims: [2], int32Data: [1, -2] } },
            { name: 'floats', type: 6, floats: [1.5, -2] },
            { name: 'ints', type: 7, ints: [1, -2, 3] },
            { name: 'no_ints', type: 7 },
            { name: 'strings', type: 8, strings: [bytes('a'), bytes('b')] },
            {
              name: 'tensors',
              type: 9,
              tensors: [{ name: 'u8', dataType: 2, dims: [3], int32Data: [1, 2, 255] }],
            },
            { name: 'graphs', type: 10, graphs: [elseBranch] },
            {
              name: 'sparse',
              type: 11,
              sparseTensor: {
                values: { dataType: 1, dims: [1], floatData: [3] },
                indices: { dataType: 7, dims: [1], int64Data: [1] },
                dims: [4],
              },
            },
            {
              name: 'sparses',
              type: 12,
              sparseTensors: [
                { values: { dataType: 1, dims: [0] }, indices: { dataType: 7, dims: [0] }, dims: [4] },
              ],
            },
            { name: 'tp', type: 13, tp: floatType() },
            { name: 'tps', type: 14, typeProtos: [floatType(), { sequenceType: { elemType: floatType() } }] },
            { name: 'ref', type: 2, refAttrName: 'parent_count' },
          ],
          deviceConfigurations: [{ configurationId: 'cfg', pipelineStage: 1 }],
        },
        {
          name: 'branch',
          opType: 'If',
          input: ['cond'],
          output: ['y'],
          attribute: [
            { name: 'then_branch', type: 5, g: thenBranch },
            { name: 'else_branch', type: 5, g: elseBranch },
          ],
        },
      ],
    },
    functions: [
      {
        name: 'MyOp',
        domain: 'com.example',
        overload: 'v2',
        input: ['a', 'b'],
        output: ['c'],
        attribute: ['count'],
        attributeProto: [{ name: 'alpha', type: 1, f: 1 }],
        node: [{ opType: 'Add', input: ['a', 'b'], output: ['c'] }],
        opsetImport: [{ domain: '', version: 21 }],
        valueInfo: [{ name: 'c', type: floatType() }],
        metadataProps: [{ key: 'fn', value: '1' }],
      },
    ],
    trainingInfo: [
      {
        initialization: { name: 'init' },
        algorithm: { name: 'algo' },
        initializationBinding: [{ key: 'w', value: 'w0' }],
      },
    ],
    configuration: [{ name: 'cfg', numDevices: 2, device: ['cpu0', 'cpu1'] }],
  };
}

/** A one-node model (`y = x + w`) at IR 8 / opset 13, with the given initializer for `w`. */
export function addModel(w: Record<string, unknown>): Record<string, unknown> {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'add',
      node: [{ name: 'add', opType: 'Add', input: ['x', 'w'], output: ['y'] }],
      input: [{ name: 'x', type: floatType([{ dimValue: 2 }]) }],
      output: [{ name: 'y', type: floatType([{ dimValue: 2 }]) }],
      initializer: [w],
    },
  };
}
