import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { DataType } from '../dtype';
import type { Dim, Graph, ValueInfo } from '../graph';
import { DecodeContext, type DecodedValue, sameLayout } from './decode-context';
import { LAYER_HANDLERS } from './decode-layers';
import { declaredInputShape, readKerasTopology, refKey } from './keras-topology';
import { NCHW_FROM_NHWC } from './layout';
import { parseTfjsModelJson, type TfjsModelJson } from './model-json';
import { readTfjsWeights } from './weights';

/**
 * The ONNX opset the TF.js decoder writes.
 *
 * @example
 * decodeTfjs(json, data).model.opsetImports; // [{ domain: '', version: TFJS_DECODE_OPSET }]
 */
export const TFJS_DECODE_OPSET = 13;

/**
 * Options of {@link decodeTfjs}.
 *
 * @example
 * decodeTfjs(json, weights, { layout: 'nchw', batchDim: 'batch' });
 */
export interface DecodeTfjsOptions {
  /** The model file, named in error details. */
  file?: string;
  /**
   * Layout of rank-4 graph inputs and outputs. `'nhwc'` (default) keeps TF.js's layout, so the
   * graph takes the same tensors as the TF.js model (a Transpose to NCHW follows each image input);
   * `'nchw'` makes them NCHW (no transposes at the edges, handy for PyTorch-style data pipelines).
   * Inside the graph, image tensors are always NCHW with OIHW weights (ONNX semantics).
   */
  layout?: 'nhwc' | 'nchw';
  /** Name of the symbolic batch dimension where the model leaves it open (default `'N'`). */
  batchDim?: string;
}

const WEIGHTED = new Set(['Conv', 'Gemm', 'MatMul', 'BatchNormalization']);

/**
 * Gives the layer's name to its weighted node (Conv, Gemm, ...), so that node names — and the
 * coupling groups named after them — read like the Keras layers; an activation that held the name
 * becomes `<layer>/<op>`.
 */
function nameMainNode(d: DecodeContext, start: number, layerName: string): void {
  const nodes = d.b.nodes;
  let main = -1;
  for (let i = start; i < nodes.length; i++) {
    if (WEIGHTED.has(nodes[i].opType)) {
      main = i;
      break;
    }
  }
  if (main < 0 || nodes[main].name === layerName) return;
  for (let i = start; i < nodes.length; i++) {
    if (i !== main && nodes[i].name === layerName)
      d.b.renameNode(i, `${layerName}/${nodes[i].opType.toLowerCase()}`);
  }
  d.b.renameNode(main, layerName);
}

function dimOf(d: number | null, batch: string): Dim {
  return d === null ? batch : d;
}

/**
 * Decodes a TF.js LayersModel (parsed or raw `model.json`, plus the concatenated weight data of
 * its shards in manifest order) into an IR graph with ONNX semantics (opset 13):
 *
 * - Conv2D / DepthwiseConv2D / SeparableConv2D → Conv (OIHW weights; SAME padding as explicit pads),
 *   Dense → Gemm (kernel `[in, out]`, transB = 0), BatchNormalization → BatchNormalization,
 *   pools → MaxPool / AveragePool / GlobalAveragePool + Flatten, activations → their ONNX ops
 *   (relu6 and `ReLU(max_value)` → Clip), merges → Add / Mul / Sub / Mean / Max / Min / Concat,
 *   Dropout and noise layers → nothing.
 * - Image tensors are NCHW inside the graph. With the default `layout: 'nhwc'` the graph's rank-4
 *   inputs and outputs stay NHWC like the TF.js model's, with a Transpose at the edge.
 * - A Keras Flatten of NHWC features orders them H, W, C. The decoder flattens the NCHW tensor
 *   (C, H, W order) and permutes the rows of the Dense kernels that read it (through elementwise
 *   layers and BatchNormalization), so outputs match exactly with no Transpose; anything else that
 *   reads the flattened tensor gets it reordered to Keras order first.
 *
 * Throws `MC_UNSUPPORTED_OP` (naming the layer and its class) for layers without a mapping,
 * `MC_MODEL_INVALID`, `MC_SHAPE_MISMATCH`, `MC_ONNX_TRUNCATED` for short weight data.
 *
 * @example
 * const graph = decodeTfjs(JSON.parse(modelJsonText), weightBytes);
 * graph.inputs[0].type; // { kind: 'tensor', elemType: 1, shape: ['N', 28, 28, 1] }
 */
export function decodeTfjs(
  modelJson: TfjsModelJson | string | Uint8Array | unknown,
  weightData: Uint8Array,
  options: DecodeTfjsOptions = {},
): Graph {
  const file = options.file;
  const layout = options.layout ?? 'nhwc';
  if (layout !== 'nhwc' && layout !== 'nchw') {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `layout must be 'nhwc' or 'nchw', got ${String(layout)}`,
      { field: 'layout' },
    );
  }
  const batch = options.batchDim ?? 'N';
  const json = parseTfjsModelJson(modelJson, { file });
  const topology = readKerasTopology(json.modelTopology, file);
  // Check every layer class before reading weights, so an unsupported model fails fast and clearly.
  for (const call of topology.calls) {
    if (!LAYER_HANDLERS.has(call.layer.className)) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_OP,
        `layer class '${call.layer.className}' has no IR mapping`,
        {
          file,
          node: call.layer.name,
          opType: call.layer.className,
        },
      );
    }
  }
  const weights = readTfjsWeights(json.weightsManifest, weightData, { file });
  const d = new DecodeContext(weights, file);
  const values = new Map<string, DecodedValue>();
  const inputs: ValueInfo[] = [];

  for (const layer of topology.inputs) {
    const shape = declaredInputShape(layer.config);
    if (!shape)
      throw new MetacompressError(ErrorCodes.MODEL_INVALID, 'the input layer declares no shape', {
        file,
        node: layer.name,
        opType: 'InputLayer',
        field: 'config.batch_input_shape',
      });
    const dtype = layer.config.dtype === 'int32' ? DataType.INT32 : DataType.FLOAT;
    const kerasShape = shape.map((n) => dimOf(n, batch));
    d.b.reserve(layer.name);
    const nchw = layout === 'nchw' && shape.length === 4;
    const irShape = nchw ? NCHW_FROM_NHWC.map((i) => kerasShape[i]) : kerasShape;
    inputs.push({ name: layer.name, type: { kind: 'tensor', elemType: dtype, shape: irShape } });
    values.set(refKey({ layer: layer.name, node: 0, tensor: 0 }), {
      ir: layer.name,
      shape: kerasShape,
      rel: nchw ? { kind: 'perm', perm: [...NCHW_FROM_NHWC] } : sameLayout(shape.length),
    });
  }

  for (const call of topology.calls) {
    const handler = LAYER_HANDLERS.get(call.layer.className)!;
    const ins = call.inputs.map((r) => {
      if (r.tensor !== 0) {
        throw new MetacompressError(
          ErrorCodes.UNSUPPORTED_OP,
          `reads output ${r.tensor} of layer '${r.layer}' (layers with several outputs are not supported)`,
          {
            file,
            node: call.layer.name,
            opType: call.layer.className,
          },
        );
      }
      return values.get(refKey(r))!;
    });
    const base = call.call === 0 ? call.layer.name : `${call.layer.name}_call${call.call}`;
    const out = d.b.has(base) ? d.b.freshValue(base) : base;
    const start = d.b.nodes.length;
    let result: DecodedValue;
    try {
      result = handler({ d, layer: call.layer, inputs: ins, out });
    } catch (error) {
      if (error instanceof MetacompressError)
        throw error.withDetails({ file, node: call.layer.name, opType: call.layer.className });
      throw error;
    }
    if (result.ir !== out && d.b.producedSince(start, result.ir) && !d.b.has(out)) {
      d.b.renameFrom(start, result.ir, out);
      result = { ...result, ir: out };
    }
    nameMainNode(d, start, out);
    values.set(refKey({ layer: call.layer.name, node: call.call, tensor: 0 }), result);
  }

  // Outputs, in the model's layout (see `layout`), named after the Keras output layers.
  const picked = topology.outputs.map((ref) => {
    const v = values.get(refKey(ref))!;
    const nchw = layout === 'nchw' && v.shape.length === 4;
    return {
      ir: nchw ? d.asNchw(v, { className: 'Model', name: ref.layer, config: {} }) : d.asKeras(v),
      desired: ref.node === 0 ? ref.layer : `${ref.layer}_call${ref.node}`,
      shape: nchw ? NCHW_FROM_NHWC.map((i) => v.shape[i]) : v.shape,
    };
  });
  const inputNames = new Set(inputs.map((i) => i.name));
  const rename = (from: string, to: string): void => {
    d.b.renameFrom(0, from, to);
    for (const p of picked) if (p.ir === from) p.ir = to;
  };
  const outputs: ValueInfo[] = [];
  const taken = new Set<string>();
  for (const p of picked) {
    let name = p.desired;
    if (p.ir === name && !taken.has(name)) {
      // already named after its layer
    } else if (inputNames.has(p.ir) || taken.has(p.ir) || inputNames.has(name) || taken.has(name)) {
      name = d.b.freshValue(`${name}_output`);
      d.b.nodes.push({
        name,
        opType: 'Identity',
        domain: '',
        inputs: [p.ir],
        outputs: [name],
        attributes: {},
      });
    } else {
      // Name the output after its layer; an inner value holding that name moves aside.
      if (d.b.has(name)) rename(name, d.b.freshValue(`${name}/inner`));
      rename(p.ir, name);
    }
    taken.add(name);
    outputs.push({ name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: p.shape } });
  }

  return {
    name: topology.name,
    nodes: d.b.nodes,
    inputs,
    outputs,
    valueInfo: [],
    initializers: d.b.initializers,
    model: {
      irVersion: 8,
      opsetImports: [{ domain: '', version: TFJS_DECODE_OPSET }],
      producerName: 'metacompress-tfjs',
      producerVersion:
        typeof json.modelTopology.keras_version === 'string' ? json.modelTopology.keras_version : undefined,
      metadataProps: [{ key: 'tfjs.layout', value: layout }],
    },
  };
}
