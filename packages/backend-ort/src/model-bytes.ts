import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Graph, TypeInfo, ValueInfo } from '@metacompress/ir';
import { encodeOnnx } from '@metacompress/ir';

/**
 * What the ort backends run: an IR graph (encoded with `encodeOnnx` from `@metacompress/ir`) or the
 * bytes of an ONNX model file.
 *
 * @example
 * const model: OrtModel = readFileSync('lenet5.onnx'); // or a Graph
 */
export type OrtModel = Graph | Uint8Array;

function isBytes(model: OrtModel): model is Uint8Array {
  return model instanceof Uint8Array;
}

/**
 * A copy of `graph` whose outputs also include the named values (intermediate tensors, inputs or
 * initializers), so that a runtime returns them. Names already among the outputs are kept once.
 * Each added output carries the value's declared type (from `valueInfo`, inputs or initializers);
 * a value with no declared type gets none, and onnxruntime infers it. The input graph is not
 * modified. Throws `MC_INVALID_ARGUMENT` for a name no node, input or initializer defines.
 *
 * @example
 * const probed = withExtraOutputs(graph, ['/conv1/Conv_output_0']);
 * probed.outputs.map((o) => o.name); // ['logits', '/conv1/Conv_output_0']
 */
export function withExtraOutputs(graph: Graph, names: readonly string[]): Graph {
  const existing = new Set(graph.outputs.map((o) => o.name));
  const wanted = [...new Set(names)].filter((n) => !existing.has(n));
  if (wanted.length === 0) return graph;
  const types = new Map<string, TypeInfo | undefined>();
  for (const node of graph.nodes) for (const out of node.outputs) if (out) types.set(out, undefined);
  for (const t of graph.initializers) types.set(t.name, { kind: 'tensor', elemType: t.dataType, shape: t.dims });
  for (const v of [...graph.inputs, ...graph.valueInfo, ...graph.outputs]) if (v.type || !types.has(v.name)) types.set(v.name, v.type);
  const extra: ValueInfo[] = wanted.map((name) => {
    if (!types.has(name)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `graph '${graph.name}' has no value named '${name}' (not a node output, input or initializer)`,
        { field: 'outputs', node: name },
      );
    }
    const type = types.get(name);
    return type ? { name, type } : { name };
  });
  return { ...graph, outputs: [...graph.outputs, ...extra] };
}

function varint(value: number, out: number[]): void {
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function lengthDelimited(field: number, payload: readonly number[] | Uint8Array): number[] {
  const out: number[] = [];
  varint((field << 3) | 2, out);
  varint(payload.length, out);
  for (const b of payload) out.push(b);
  return out;
}

/**
 * Adds graph outputs (names only, no types) to serialized ONNX model bytes without decoding them.
 * Protocol buffers merge a repeated embedded message field: appending `graph { output { name } }`
 * (ModelProto field 7, GraphProto field 12, ValueInfoProto field 1) to a ModelProto extends the
 * graph's output list. onnxruntime infers the missing types.
 *
 * @example
 * const probed = appendGraphOutputs(bytes, ['/Relu_output_0']);
 */
export function appendGraphOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  if (names.length === 0) return bytes;
  const encoder = new TextEncoder();
  const outputs: number[] = [];
  for (const name of names) outputs.push(...lengthDelimited(12, lengthDelimited(1, encoder.encode(name))));
  const tail = lengthDelimited(7, outputs);
  const result = new Uint8Array(bytes.length + tail.length);
  result.set(bytes, 0);
  result.set(tail, bytes.length);
  return result;
}

/**
 * The ONNX bytes that run `model` and also return `extraOutputs`: graphs are copied with
 * {@link withExtraOutputs} and encoded; bytes get {@link appendGraphOutputs}.
 *
 * @example
 * const bytes = modelBytes(graph, ['/Flatten_output_0']);
 */
export function modelBytes(model: OrtModel, extraOutputs: readonly string[] = []): Uint8Array {
  if (isBytes(model)) return appendGraphOutputs(model, extraOutputs);
  return encodeOnnx(withExtraOutputs(model, extraOutputs));
}

/**
 * A short description of a model for error messages: the graph's name, or the byte count.
 *
 * @example
 * describeModel(graph); // "graph 'main_graph'"
 */
export function describeModel(model: OrtModel): string {
  return isBytes(model) ? `model of ${model.length} bytes` : `graph '${model.name}'`;
}
