import protobuf from 'protobufjs';

/**
 * The ONNX wire schema (IR versions 3 to 11) as protobuf text, written for this codec from the field
 * numbers of ONNX's `onnx.proto` (and the ONNX-ML `Opaque` type). It is embedded as a string so that
 * bundles need no file at run time.
 *
 * Deviations from the upstream file, all wire-compatible:
 * - enum-typed fields (`AttributeProto.type`, `TensorProto.data_location`) are declared `int32`, so
 *   values this schema does not know are decoded instead of being treated as unknown fields;
 * - deprecated and reserved fields are omitted.
 *
 * Field numbers cross-checked against onnx/onnx `onnx/onnx.proto` (IR 10) and the IR 11 additions
 * (`NodeProto.device_configurations`, `ModelProto.configuration` and the sharding messages).
 *
 * @example
 * ONNX_PROTO.includes('optional bytes raw_data = 9;'); // true
 */
export const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  optional SparseTensorProto sparse_tensor = 22;
  optional TypeProto tp = 14;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  repeated SparseTensorProto sparse_tensors = 23;
  repeated TypeProto type_protos = 15;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
  repeated StringStringEntryProto metadata_props = 4;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  optional string overload = 8;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  repeated StringStringEntryProto metadata_props = 9;
  repeated NodeDeviceConfigurationProto device_configurations = 10;
}

message IntIntListEntryProto {
  optional int64 key = 1;
  repeated int64 value = 2;
}

message NodeDeviceConfigurationProto {
  optional string configuration_id = 1;
  repeated ShardingSpecProto sharding_spec = 2;
  optional int32 pipeline_stage = 3;
}

message ShardingSpecProto {
  optional string tensor_name = 1;
  repeated int64 device = 2;
  repeated IntIntListEntryProto index_to_device_group_map = 3;
  repeated ShardedDimProto sharded_dim = 4;
}

message ShardedDimProto {
  optional int64 axis = 1;
  repeated SimpleShardedDimProto simple_sharding = 2;
}

message SimpleShardedDimProto {
  oneof dim {
    int64 dim_value = 1;
    string dim_param = 2;
  }
  optional int64 num_shards = 3;
}

message TrainingInfoProto {
  optional GraphProto initialization = 1;
  optional GraphProto algorithm = 2;
  repeated StringStringEntryProto initialization_binding = 3;
  repeated StringStringEntryProto update_binding = 4;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
  repeated TrainingInfoProto training_info = 20;
  repeated FunctionProto functions = 25;
  repeated DeviceConfigurationProto configuration = 26;
}

message DeviceConfigurationProto {
  optional string name = 1;
  optional int32 num_devices = 2;
  repeated string device = 3;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message TensorAnnotation {
  optional string tensor_name = 1;
  repeated StringStringEntryProto quant_parameter_tensor_names = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated TensorAnnotation quantization_annotation = 14;
  repeated StringStringEntryProto metadata_props = 16;
}

message TensorProto {
  message Segment {
    optional int64 begin = 1;
    optional int64 end = 2;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional Segment segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto metadata_props = 16;
}

message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  message Optional {
    optional TypeProto elem_type = 1;
  }
  message SparseTensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Opaque {
    optional string domain = 1;
    optional string name = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    SparseTensor sparse_tensor_type = 8;
    Opaque opaque_type = 7;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message FunctionProto {
  optional string name = 1;
  repeated string input = 4;
  repeated string output = 5;
  repeated string attribute = 6;
  repeated AttributeProto attribute_proto = 11;
  repeated NodeProto node = 7;
  optional string doc_string = 8;
  repeated OperatorSetIdProto opset_import = 9;
  optional string domain = 10;
  optional string overload = 13;
  repeated ValueInfoProto value_info = 12;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

/** A field's name and the wire types a decoder accepts for it (packable repeated fields take two). */
export interface FieldInfo {
  name: string;
  wireTypes: readonly number[];
}

/** The reflected message types the codec uses (protobufjs reflection, camelCase field names). */
export interface OnnxTypes {
  root: protobuf.Root;
  ModelProto: protobuf.Type;
  GraphProto: protobuf.Type;
  NodeProto: protobuf.Type;
  AttributeProto: protobuf.Type;
  TensorProto: protobuf.Type;
  SparseTensorProto: protobuf.Type;
  ValueInfoProto: protobuf.Type;
  TypeProto: protobuf.Type;
  TensorShapeProto: protobuf.Type;
  FunctionProto: protobuf.Type;
  TrainingInfoProto: protobuf.Type;
  /** Field names by number, per message type name, to name fields in error messages. */
  fieldNames: Map<string, Map<number, FieldInfo>>;
}

let cached: OnnxTypes | undefined;

const PACKABLE = new Set([
  'double',
  'float',
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'int64',
  'uint64',
  'sint64',
  'fixed64',
  'sfixed64',
  'bool',
]);
const WIRE: Record<string, number> = {
  double: 1,
  fixed64: 1,
  sfixed64: 1,
  float: 5,
  fixed32: 5,
  sfixed32: 5,
  int32: 0,
  uint32: 0,
  sint32: 0,
  int64: 0,
  uint64: 0,
  sint64: 0,
  bool: 0,
  string: 2,
  bytes: 2,
};

/**
 * The ONNX schema, parsed once on first use.
 *
 * @example
 * const { ModelProto } = onnxTypes();
 * const message = ModelProto.decode(bytes);
 */
export function onnxTypes(): OnnxTypes {
  if (cached) return cached;
  const { root } = protobuf.parse(ONNX_PROTO, { keepCase: false });
  root.resolveAll();
  const get = (name: string): protobuf.Type => root.lookupType(`onnx.${name}`);
  const fieldNames = new Map<string, Map<number, FieldInfo>>();
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) {
        const byId = new Map<number, FieldInfo>();
        for (const field of nested.fieldsArray) {
          const base = field.resolvedType instanceof protobuf.Type ? 2 : (WIRE[field.type] ?? 0);
          const wireTypes = field.repeated && PACKABLE.has(field.type) ? [base, 2] : [base];
          byId.set(field.id, { name: field.name, wireTypes });
        }
        fieldNames.set(nested.fullName.replace(/^\./, ''), byId);
      }
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) visit(nested);
    }
  };
  visit(root);
  cached = {
    root,
    ModelProto: get('ModelProto'),
    GraphProto: get('GraphProto'),
    NodeProto: get('NodeProto'),
    AttributeProto: get('AttributeProto'),
    TensorProto: get('TensorProto'),
    SparseTensorProto: get('SparseTensorProto'),
    ValueInfoProto: get('ValueInfoProto'),
    TypeProto: get('TypeProto'),
    TensorShapeProto: get('TensorShapeProto'),
    FunctionProto: get('FunctionProto'),
    TrainingInfoProto: get('TrainingInfoProto'),
    fieldNames,
  };
  return cached;
}
