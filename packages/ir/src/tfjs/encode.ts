import { ErrorCodes, MetacompressError, isMetacompressError } from '@metacompress/core';
import { DataType } from '../dtype';
import type { Graph, Node } from '../graph';
import { nodeLabel } from '../graph-index';
import { inferShapes } from '../shape/infer-shapes';
import { canonicalRelation, EncodeContext, type EncodedValue } from './encode-context';
import { OP_ENCODERS } from './encode-ops';
import { identityPerm, NCHW_FROM_NHWC, NHWC_FROM_NCHW } from './layout';
import type { TfjsModelJson } from './model-json';
import { DEFAULT_SHARD_BYTES, packTfjsWeights, shardPaths } from './weights';

/**
 * The tfjs-layers version whose JSON dialect the encoder writes.
 *
 * @example
 * encodeTfjs(graph).modelJson.modelTopology.keras_version; // 'tfjs-layers 4.22.0'
 */
export const TFJS_LAYERS_VERSION = '4.22.0';

/**
 * Options of {@link encodeTfjs}.
 *
 * @example
 * encodeTfjs(graph, { shardBytes: 1 << 20, modelName: 'lenet5' });
 */
export interface EncodeTfjsOptions {
  /** The source model file, named in error details. */
  file?: string;
  /** Shard size the manifest's `paths` assume (default 4 MiB, as TF.js). */
  shardBytes?: number;
  /** Name of the Keras model (default: the graph's name). */
  modelName?: string;
}

/**
 * A TF.js LayersModel in memory: `model.json` content and the weight bytes of all shards, concatenated.
 *
 * @example
 * const { modelJson, weightData }: EncodedTfjs = encodeTfjs(graph);
 */
export interface EncodedTfjs {
  modelJson: TfjsModelJson;
  weightData: Uint8Array;
}

/** Inputs that only steer an op (shape targets, bounds) and that the encoder reads as constants or from shape inference. */
const SIDE_INPUTS: Record<string, readonly number[]> = {
  Reshape: [1],
  Clip: [1, 2],
  Pad: [1, 2, 3],
  ReduceMean: [1],
  ReduceMax: [1],
  Dropout: [1, 2],
};

/**
 * Nodes (other than Constant) whose results only feed side inputs — e.g. PyTorch's
 * `Shape → Gather → Unsqueeze → Concat → Reshape` flatten — or nothing at all: they need no Keras layer.
 */
function sideComputations(graph: Graph): Set<Node> {
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const side = new Set<Node>();
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const node = graph.nodes[k];
    if (node.opType === 'Constant') continue;
    const onlySide = node.outputs.every(
      (o) =>
        !o ||
        (!outputs.has(o) &&
          (consumers.get(o) ?? []).every(
            (c) =>
              side.has(c) ||
              c.inputs.every((input, j) => input !== o || (SIDE_INPUTS[c.opType] ?? []).includes(j)),
          )),
    );
    if (onlySide) side.add(node);
  }
  return side;
}

/** True when every consumer of a rank-4 input is a Transpose to NCHW: the input is NHWC already. */
function inputIsNhwc(ctx: EncodeContext, name: string): boolean {
  const users = ctx.consumers.get(name) ?? [];
  if (users.length === 0 || ctx.graphOutputs.has(name)) return false;
  return users.every((n) => {
    if (n.opType !== 'Transpose') return false;
    const perm = n.attributes.perm;
    return (
      perm?.type === 'ints' && perm.value.length === 4 && perm.value.every((p, i) => p === NCHW_FROM_NHWC[i])
    );
  });
}

/**
 * Encodes an IR graph (ONNX semantics, NCHW) as a TF.js LayersModel: a functional Keras `Model`
 * topology in the tfjs-layers dialect plus float32 weights (little-endian, one buffer; the manifest
 * lists shard paths `group1-shardKofN.bin` for `shardBytes`-sized pieces, as {@link saveTfjs} writes them).
 *
 * Layout: the TF.js model is NHWC, the TF.js convention. An NCHW image input `[N, C, H, W]` of the
 * graph becomes a Keras input `[N, H, W, C]` (feed it transposed); an input that the graph
 * itself transposes to NCHW first (as {@link decodeTfjs} writes them) stays as it is. Rank-4 outputs
 * come out NHWC; other outputs keep their IR layout. Convolution weights go OIHW → HWIO; a
 * Flatten of NCHW features becomes a Keras Flatten of NHWC features whose reordering is folded
 * into the rows of the Dense kernels that read it (or undone with Reshape + Permute + Flatten when
 * something else reads it).
 *
 * Ops: Conv (group 1 or depthwise), Gemm, MatMul (+ bias Add), BatchNormalization, MaxPool,
 * AveragePool, GlobalAverage/MaxPool, ReduceMean/Max over H, W, Flatten, Reshape, Transpose,
 * Add/Sum, Mul, Mean, Max, Min, Concat, Relu, Clip(0, max), LeakyRelu, PRelu, Elu, Selu, Sigmoid,
 * HardSigmoid, Tanh, Softplus, Softsign, Softmax, LogSoftmax, Pad (zero, spatial), Identity, Dropout.
 * Anything else throws `MC_UNSUPPORTED_OP` naming the node and its op type.
 *
 * @example
 * const { modelJson, weightData } = encodeTfjs(await loadOnnx('lenet5.onnx'));
 * const model = await tf.loadLayersModel(tf.io.fromMemory({
 *   modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: weightData.buffer }));
 */
export function encodeTfjs(graph: Graph, options: EncodeTfjsOptions = {}): EncodedTfjs {
  const file = options.file;
  const side = sideComputations(graph);
  for (const [i, node] of graph.nodes.entries()) {
    if (side.has(node)) continue;
    const known =
      (node.domain === '' || node.domain === 'ai.onnx') &&
      (OP_ENCODERS.has(node.opType) || node.opType === 'Constant');
    if (!known) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_OP,
        `${node.domain ? `${node.domain}::` : ''}${node.opType} has no TF.js Keras layer`,
        {
          file,
          node: nodeLabel(node, i),
          opType: node.opType,
        },
      );
    }
  }
  let shapes;
  try {
    shapes = inferShapes(graph, { file });
  } catch (error) {
    if (isMetacompressError(error)) throw error;
    throw new MetacompressError(
      ErrorCodes.MODEL_INVALID,
      `shape inference failed: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  const ctx = new EncodeContext(graph, shapes, file);

  for (const input of graph.inputs) {
    if (ctx.constants.has(input.name)) continue; // an initializer listed as an input (IR < 4)
    const type = input.type;
    if (type?.kind !== 'tensor' || !type.shape) {
      throw new MetacompressError(
        ErrorCodes.SHAPE_MISMATCH,
        'a graph input needs a tensor type with a known rank',
        { file, field: `input '${input.name}'` },
      );
    }
    if (type.elemType !== DataType.FLOAT) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_DTYPE,
        'TF.js models encoded here take float32 inputs only',
        { file, field: `input '${input.name}'` },
      );
    }
    const dims = type.shape.map((d) => (typeof d === 'number' ? d : null));
    const rank = dims.length;
    const nhwc = rank === 4 && inputIsNhwc(ctx, input.name);
    const kerasShape = rank === 4 && !nhwc ? NHWC_FROM_NCHW.map((i) => dims[i]) : dims;
    const name = ctx.layer(
      'InputLayer',
      input.name,
      { batch_input_shape: [null, ...kerasShape.slice(1)], dtype: 'float32', sparse: false },
      [],
    );
    const v: EncodedValue = {
      keras: name,
      rel: nhwc ? { kind: 'perm', perm: identityPerm(4) } : canonicalRelation(rank),
    };
    ctx.values.set(input.name, v);
  }

  for (const node of graph.nodes) {
    if (ctx.absorbed.has(node) || side.has(node)) continue;
    if (node.opType === 'Constant') {
      ctx.addConstant(node);
      continue;
    }
    OP_ENCODERS.get(node.opType)!(ctx, node);
  }

  const outputLayers: [string, number, number][] = [];
  for (const output of graph.outputs) {
    const v = ctx.values.get(output.name);
    if (!v) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_OP,
        'the graph output is a constant (a Keras model cannot output one)',
        { file, field: `output '${output.name}'` },
      );
    }
    const rank = ctx.shape(output.name)?.length ?? (v.rel.kind === 'perm' ? v.rel.perm.length : 2);
    const probe = {
      name: output.name,
      opType: 'Output',
      domain: '',
      inputs: [output.name],
      outputs: [],
      attributes: {},
    };
    const isNhwcPerm =
      v.rel.kind === 'perm' && rank === 4 && v.rel.perm.every((p, i) => p === NHWC_FROM_NCHW[i]);
    const identity = v.rel.kind === 'perm' && v.rel.perm.every((p, i) => p === i);
    const keras = isNhwcPerm || identity ? v.keras : ctx.canonical(v, probe, rank);
    outputLayers.push([keras, 0, 0]);
  }

  // Name each output layer after its graph output when that name is free (so names survive a round trip).
  const layerClass = new Map(ctx.layers.map((l) => [l.name, l.class_name]));
  outputLayers.forEach((ref, i) => {
    const shared = outputLayers.some((other, j) => j !== i && other[0] === ref[0]);
    if (!shared && layerClass.get(ref[0]) !== 'InputLayer')
      ref[0] = ctx.renameLayer(ref[0], graph.outputs[i].name);
  });

  const inputLayers = graph.inputs
    .filter((i) => !ctx.constants.has(i.name))
    .map((i) => [ctx.values.get(i.name)!.keras, 0, 0] as [string, number, number]);
  const { specs, data } = packTfjsWeights(ctx.weights);
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: `metacompress (tfjs-layers ${TFJS_LAYERS_VERSION} dialect)`,
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      config: {
        name: options.modelName ?? (graph.name || 'model'),
        layers: ctx.layers,
        input_layers: inputLayers,
        output_layers: outputLayers,
      },
      keras_version: `tfjs-layers ${TFJS_LAYERS_VERSION}`,
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: shardPaths(data.byteLength, shardBytes), weights: specs }],
  };
  return { modelJson, weightData: data };
}
