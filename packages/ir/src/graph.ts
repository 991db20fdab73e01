import type { DataType } from './dtype';
import type { Tensor } from './tensor';

/** A dimension: a number, a symbolic name (ONNX `dim_param`, e.g. `batch`), or null when unknown. */
export type Dim = number | string | null;

/**
 * The type of a value. Tensors are modelled; other ONNX types (sequence, map, optional,
 * sparse tensor) are carried through untouched as their decoded protobuf object.
 *
 * @example
 * const t: TypeInfo = { kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', 1, 28, 28] };
 */
export type TypeInfo =
  | {
      kind: 'tensor';
      elemType: DataType;
      /** undefined when the rank is unknown. */
      shape?: readonly Dim[];
      /** Per-dimension denotations, when the file has any. */
      dimDenotations?: readonly (string | undefined)[];
      denotation?: string;
    }
  | { kind: 'other'; proto: unknown };

/**
 * A named value's declared type (graph inputs, outputs, value_info).
 *
 * @example
 * const input: ValueInfo = { name: 'input', type: { kind: 'tensor', elemType: 1, shape: ['N', 784] } };
 */
export interface ValueInfo {
  name: string;
  type?: TypeInfo;
  docString?: string;
  metadataProps?: readonly { key: string; value: string }[];
}

/**
 * A node attribute, tagged by its ONNX type. `graph`/`graphs` hold nested graph bodies (If, Loop, Scan);
 * `sparseTensor(s)` and `typeProto(s)` are carried through as decoded protobuf objects.
 *
 * @example
 * const a: Attribute = { type: 'ints', value: [1, 1] };
 */
export type Attribute = (
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: GraphBody }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'ints'; value: readonly number[] }
  | { type: 'strings'; value: readonly string[] }
  | { type: 'tensors'; value: readonly Tensor[] }
  | { type: 'graphs'; value: readonly GraphBody[] }
  | { type: 'sparseTensor'; value: unknown }
  | { type: 'sparseTensors'; value: readonly unknown[] }
  | { type: 'typeProto'; value: unknown }
  | { type: 'typeProtos'; value: readonly unknown[] }
  | { type: 'undefined'; value: undefined }
) & {
  /** Set inside function bodies: the attribute refers to the function's attribute of this name. */
  refAttrName?: string;
  docString?: string;
};

/**
 * One operation. Inputs and outputs are value names; an empty string marks an omitted optional input.
 *
 * @example
 * const relu: Node = { name: 'relu1', opType: 'Relu', domain: '', inputs: ['conv1_out'], outputs: ['relu1_out'], attributes: {} };
 */
export interface Node {
  name: string;
  opType: string;
  /** '' (or 'ai.onnx') for standard ONNX ops. */
  domain: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, Attribute>>;
  docString?: string;
  overload?: string;
  metadataProps?: readonly { key: string; value: string }[];
  /** IR 11 `NodeProto.device_configurations`, carried through as decoded protobuf objects. */
  deviceConfigurations?: readonly unknown[];
}

/**
 * A graph body as ONNX's GraphProto: nodes in topological order, declared inputs/outputs,
 * value_info and initializers. Nested graphs (If/Loop bodies) are GraphBody values.
 */
export interface GraphBody {
  name: string;
  nodes: readonly Node[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  valueInfo: readonly ValueInfo[];
  initializers: readonly Tensor[];
  /** SparseTensorProto initializers, carried through untouched. */
  sparseInitializers?: readonly unknown[];
  /** Quantization annotations, carried through untouched. */
  quantizationAnnotation?: readonly unknown[];
  docString?: string;
  metadataProps?: readonly { key: string; value: string }[];
}

/** One opset import: `domain` '' is the default ONNX domain. */
export interface OpsetImport {
  domain: string;
  version: number;
}

/**
 * What a model file says about itself besides its graph. Fields ONNX added later (functions,
 * training info, device configurations) are carried through as decoded protobuf objects.
 */
export interface ModelInfo {
  irVersion: number;
  opsetImports: readonly OpsetImport[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  metadataProps: readonly { key: string; value: string }[];
  functions?: readonly unknown[];
  trainingInfo?: readonly unknown[];
  configuration?: readonly unknown[];
}

/**
 * A whole model: the graph body plus the model-level information. This is what codecs load and
 * save and what operators transform (as pure functions: they return a new Graph).
 *
 * @example
 * const graph = await loadOnnx('model.onnx');
 * graph.model.opsetImports; // [{ domain: '', version: 13 }]
 * graph.nodes.length;
 */
export interface Graph extends GraphBody {
  model: ModelInfo;
}
