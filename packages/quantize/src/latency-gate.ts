import { ErrorCodes, MetacompressError, type InferenceBackend } from '@metacompress/core';
import {
  createTensor,
  DataType,
  inferShapes,
  type Dim,
  type Graph,
  type Node,
  type Tensor,
  type ValueInfo,
} from '@metacompress/ir';
import { int, op } from './graph-names';
import type { QuantDataType } from './qparams';
import type { QuantizedWeight } from './weight-quantizers';

/** Median latencies of two models measured in alternation, and their ratio. */
export interface LatencyComparison {
  batchSize: number;
  /** Median of the reference (float) model, ms. */
  referenceMs: number;
  /** Median of the candidate (quantized) model, ms. */
  candidateMs: number;
  /**
   * Median over rounds of `candidate / reference` measured back to back in the same round: below 1
   * the candidate is faster. Pairing cancels the slow swings of machine load that would bias a
   * ratio of two medians.
   */
  ratio: number;
  /** Fastest run of the reference, ms (least disturbed by other processes). */
  referenceMinMs: number;
  /** Fastest run of the candidate, ms. */
  candidateMinMs: number;
  /** `candidateMinMs / referenceMinMs`. */
  minRatio: number;
  /** Timed runs of each model. */
  runs: number;
}

/** Options of {@link compareLatency}. */
export interface CompareLatencyOptions {
  /** Batch size of the random inputs (default 64). */
  batchSize?: number;
  /** Timed runs of each model, alternating (default 12). */
  runs?: number;
  /** Untimed runs of each model first (default 3). */
  warmup?: number;
  signal?: AbortSignal;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Times two models on one backend with interleaved runs (A B, B A, A B, …, so that load from
 * other processes hits both alike): medians of each, the median of the per-round ratios, and the
 * fastest runs. Loading a model that the backend
 * rejects throws `MC_BACKEND_FAILED` (the caller falls back).
 *
 * @example
 * const c = await compareLatency(ortWeb, floatGraph, int8Graph, { batchSize: 64 });
 * c.ratio < 1; // the int8 graph is faster
 */
export async function compareLatency<G>(
  backend: InferenceBackend<G>,
  reference: G,
  candidate: G,
  options: CompareLatencyOptions = {},
): Promise<LatencyComparison> {
  const batchSize = options.batchSize ?? 64;
  const runs = options.runs ?? 12;
  const warmup = options.warmup ?? 3;
  if (!Number.isInteger(runs) || runs < 1)
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `runs must be a positive integer, got ${runs}`, {
      field: 'runs',
    });
  await backend.latency(reference, { batchSize, warmup, runs: 1 });
  await backend.latency(candidate, { batchSize, warmup, runs: 1 });
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < runs; r++) {
    if (options.signal?.aborted)
      throw new MetacompressError(ErrorCodes.ABORTED, 'latency comparison was cancelled', {});
    const order: [G, number[]][] =
      r % 2 === 0
        ? [
            [reference, a],
            [candidate, b],
          ]
        : [
            [candidate, b],
            [reference, a],
          ];
    for (const [model, into] of order)
      into.push((await backend.latency(model, { batchSize, warmup: 0, runs: 1 })).medianMs);
  }
  const referenceMs = median(a);
  const candidateMs = median(b);
  const paired = a.map((x, i) => b[i] / x);
  const referenceMinMs = Math.min(...a);
  const candidateMinMs = Math.min(...b);
  return {
    batchSize,
    referenceMs,
    candidateMs,
    ratio: median(paired),
    referenceMinMs,
    candidateMinMs,
    minRatio: candidateMinMs / referenceMinMs,
    runs,
  };
}

/** One layer's float and 8-bit timing in isolation. */
export interface LayerTiming extends LatencyComparison {
  node: string;
  opType: string;
}

/** What {@link singleLayerModels} needs about one node. */
export interface LayerBenchInput {
  node: Node;
  weight: QuantizedWeight;
  /** The node's float weight and bias tensors. */
  constants: ReadonlyMap<string, Tensor>;
  /** Shape of the node's activation input (batch dim first; symbolic batch allowed). */
  inputShape: readonly Dim[];
  /** Activation type of the 8-bit version (default uint8). */
  activationType?: QuantDataType;
  /** Opset of the default domain (≥ 13). */
  opset: number;
}

/**
 * Two one-node models of a layer: the float node, and the same node between DequantizeLinear and
 * QuantizeLinear with int8 weights and an int32 bias and 8-bit input and output (which
 * onnxruntime fuses into QLinearConv / QGemm / QLinearMatMul). Timing them shows whether the
 * runtime's integer kernel for this layer shape is faster than its float one.
 *
 * @example
 * const { float, int8 } = singleLayerModels({ node, weight, constants, inputShape: ['N', 16, 28, 28], opset: 13 });
 */
export function singleLayerModels(input: LayerBenchInput): { float: Graph; int8: Graph } {
  const { node, weight, constants, opset } = input;
  const act = input.activationType ?? 'uint8';
  const actType = act === 'int8' ? DataType.INT8 : DataType.UINT8;
  const shape: Dim[] = ['N', ...input.inputShape.slice(1)];
  const w = constants.get(node.inputs[1])!;
  const b = node.inputs[2] ? constants.get(node.inputs[2]) : undefined;
  const base = {
    name: `${node.name || node.opType}_bench`,
    valueInfo: [],
    model: { irVersion: 7, opsetImports: [{ domain: '', version: Math.max(opset, 13) }], metadataProps: [] },
  };
  const floatBody: Graph = {
    ...base,
    inputs: [{ name: 'x', type: { kind: 'tensor', elemType: DataType.FLOAT, shape } }],
    outputs: [{ name: 'y', type: { kind: 'tensor', elemType: DataType.FLOAT } }],
    nodes: [{ ...node, inputs: ['x', w.name, ...(b ? [b.name] : [])], outputs: ['y'] }],
    initializers: [w, ...(b ? [b] : [])],
  };
  let yShape: readonly Dim[] | undefined;
  try {
    yShape = inferShapes(floatBody).get('y')?.shape;
  } catch {
    yShape = undefined;
  }
  const outType = (elemType: number): ValueInfo['type'] => ({
    kind: 'tensor',
    elemType,
    ...(yShape ? { shape: yShape } : {}),
  });
  const float: Graph = { ...floatBody, outputs: [{ name: 'y', type: outType(DataType.FLOAT) }] };
  const c = weight.scale.length;
  const xs = 0.02;
  const perChannel = c > 1;
  const pdims = perChannel ? [c] : [];
  const inits: Tensor[] = [
    createTensor('x_scale', DataType.FLOAT, [], [xs]),
    createTensor('x_zero_point', actType, [], [0]),
    createTensor('y_scale', DataType.FLOAT, [], [0.05]),
    createTensor('y_zero_point', actType, [], [0]),
    createTensor('w_quantized', DataType.INT8, weight.dims, Array.from(weight.codes)),
    createTensor('w_scale', DataType.FLOAT, pdims, weight.scale),
    createTensor('w_zero_point', DataType.INT8, pdims, new Array(perChannel ? c : 1).fill(0)),
  ];
  const nodes: Node[] = [
    op('DequantizeLinear', 'dq_x', ['x', 'x_scale', 'x_zero_point'], ['x_float']),
    op(
      'DequantizeLinear',
      'dq_w',
      ['w_quantized', 'w_scale', 'w_zero_point'],
      ['w_float'],
      perChannel ? { axis: int(weight.axis) } : {},
    ),
  ];
  const ins = ['x_float', 'w_float'];
  if (b) {
    inits.push(
      createTensor('b_quantized', DataType.INT32, b.dims, new Int32Array(b.dims.reduce((p, q) => p * q, 1))),
      createTensor(
        'b_scale',
        DataType.FLOAT,
        pdims,
        Array.from(weight.scale, (s) => s * xs),
      ),
      createTensor('b_zero_point', DataType.INT32, pdims, new Int32Array(perChannel ? c : 1)),
    );
    nodes.push(
      op(
        'DequantizeLinear',
        'dq_b',
        ['b_quantized', 'b_scale', 'b_zero_point'],
        ['b_float'],
        perChannel ? { axis: int(0) } : {},
      ),
    );
    ins.push('b_float');
  }
  nodes.push(
    { ...node, inputs: ins, outputs: ['y_float'] },
    op('QuantizeLinear', 'q_y', ['y_float', 'y_scale', 'y_zero_point'], ['y']),
  );
  const int8: Graph = {
    ...base,
    inputs: [{ name: 'x', type: { kind: 'tensor', elemType: actType, shape } }],
    outputs: [{ name: 'y', type: outType(actType) }],
    nodes,
    initializers: inits,
  };
  return { float, int8 };
}
