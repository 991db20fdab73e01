import { ErrorCodes, MetacompressError } from '@metacompress/core';
import {
  attrFloat,
  attrInt,
  createTensor,
  DataType,
  inferShapes,
  toFloat32,
  type Attribute,
  type Graph,
  type Node,
  type Tensor,
} from '@metacompress/ir';
import { int, Names, op } from './graph-names';
import { quantRange, type QuantParams } from './qparams';
import type { QuantizedWeight } from './weight-quantizers';

/** Ops whose output takes the input's quantization parameters (values are a subset of the input's). */
export const QDQ_PASS_THROUGH: ReadonlySet<string> = new Set([
  'MaxPool',
  'Flatten',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Identity',
  'GlobalMaxPool',
]);

/** Ops onnxruntime runs on 8-bit tensors (QLinearAdd, QLinearGlobalAveragePool, …) with their own output parameters. */
export const QDQ_OWN_PARAMS: ReadonlySet<string> = new Set([
  'Add',
  'Mul',
  'GlobalAveragePool',
  'AveragePool',
  'Concat',
]);

/** Ops a static 8-bit node can compute in integers (with a constant weight). */
export const STATIC_OPS: ReadonlySet<string> = new Set(['Conv', 'Gemm', 'MatMul']);

const isDefault = (n: Node): boolean => n.domain === '' || n.domain === 'ai.onnx';

/**
 * Where the activations of a statically quantized graph get QuantizeLinear→DequantizeLinear
 * pairs, and which of them share parameters.
 *
 * @example
 * const plan = planActivations(graph, staticNodes);
 * plan.observe; // tensors to calibrate
 */
export interface ActivationPlan {
  /** Activations that get a Q→DQ pair, in graph order. */
  tensors: string[];
  /** Tensor → the tensor whose parameters it reuses (outputs of pass-through ops such as MaxPool). */
  sharedWith: Map<string, string>;
  /** Tensors whose range must be calibrated (those in `tensors` that share nothing). */
  observe: string[];
  /**
   * Bounds an activation function puts on a tensor that it is folded into: a Relu (or Clip) that
   * follows a static node stays in the graph, its output gets the Q→DQ pair, and the zero point at
   * the bottom of the range lets onnxruntime drop the Relu when it fuses the quantized op.
   */
  bounds: Map<string, { min: number; max: number }>;
}

/**
 * Static weight of a node that can be computed in 8-bit integers: Conv with a constant weight,
 * Gemm (alpha = beta = 1, transA = 0) with a constant 2-D B, MatMul with a constant 2-D B.
 * Returns the weight's channel axis, or undefined when the node cannot be quantized statically.
 *
 * @example
 * staticWeightAxis(gemmNode, constants); // 0 for transB = 1
 */
export function staticWeightAxis(node: Node, constants: ReadonlyMap<string, Tensor>): number | undefined {
  if (!isDefault(node) || !STATIC_OPS.has(node.opType)) return undefined;
  const w = constants.get(node.inputs[1] ?? '');
  if (!w || w.dataType !== DataType.FLOAT) return undefined;
  if (constants.has(node.inputs[0] ?? '')) return undefined;
  if (node.opType === 'Conv') return w.dims.length >= 3 ? 0 : undefined;
  if (w.dims.length !== 2) return undefined;
  if (node.opType === 'MatMul') return 1;
  if (
    attrInt(node, 'transA', 0) !== 0 ||
    attrFloat(node, 'alpha', 1) !== 1 ||
    attrFloat(node, 'beta', 1) !== 1
  )
    return undefined;
  const bias = node.inputs[2] ? constants.get(node.inputs[2]) : undefined;
  if (node.inputs[2] && (!bias || bias.dims.length > 1)) return undefined;
  return attrInt(node, 'transB', 0) ? 0 : 1;
}

/** Lower clip bound of a Clip node, when its bounds are constants (opset ≥ 11 inputs or opset < 11 attributes). */
function clipBounds(
  node: Node,
  constants: ReadonlyMap<string, Tensor>,
): { min: number; max: number } | undefined {
  if (node.attributes.min || node.attributes.max) {
    return {
      min: attrFloat(node, 'min', -3.4028234663852886e38),
      max: attrFloat(node, 'max', 3.4028234663852886e38),
    };
  }
  const read = (name: string | undefined, fallback: number): number | undefined => {
    if (!name) return fallback;
    const t = constants.get(name);
    if (!t || t.dataType !== DataType.FLOAT || t.dims.reduce((a, b) => a * b, 1) !== 1) return undefined;
    return toFloat32(t)[0];
  };
  const min = read(node.inputs[1], -Infinity);
  const max = read(node.inputs[2], Infinity);
  return min === undefined || max === undefined ? undefined : { min, max };
}

/**
 * Plans the Q→DQ pairs of static quantization (onnxruntime's QDQ format): the input and the output
 * of every static node; through pass-through ops (MaxPool, Flatten, Reshape, …) with shared
 * parameters so that they run on 8-bit values; the outputs of Add, Mul, Concat and average pools
 * whose inputs are all quantized (QLinearAdd, …). A Relu or a Clip(0, x) that alone reads a
 * quantized output is folded into its range. Graph outputs stay float.
 *
 * @example
 * planActivations(graph, new Set(graph.nodes.filter((n) => n.opType === 'Conv')));
 */
export function planActivations(
  graph: Graph,
  staticNodes: ReadonlySet<Node>,
  constants: ReadonlyMap<string, Tensor>,
): ActivationPlan {
  let types: Map<string, number>;
  try {
    types = new Map([...inferShapes(graph)].map(([k, v]) => [k, v.dataType]));
  } catch {
    types = new Map();
  }
  for (const i of graph.inputs) if (i.type?.kind === 'tensor') types.set(i.name, i.type.elemType);
  const isFloatActivation = (name: string | undefined): name is string =>
    !!name && !constants.has(name) && types.get(name) === DataType.FLOAT;
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));

  const tensors: string[] = [];
  const inPlan = new Set<string>();
  const sharedWith = new Map<string, string>();
  const bounds = new Map<string, { min: number; max: number }>();
  const add = (name: string, share?: string): void => {
    if (inPlan.has(name) || graphOutputs.has(name) || !isFloatActivation(name)) return;
    inPlan.add(name);
    tensors.push(name);
    if (share !== undefined) sharedWith.set(name, sharedWith.get(share) ?? share);
  };
  /** The output to quantize for a node's output: after a Relu/Clip(0, x) that alone reads it. */
  const quantizedOutput = (y: string): string => {
    const users = consumers.get(y) ?? [];
    if (users.length !== 1 || graphOutputs.has(y)) return y;
    const act = users[0];
    if (!isDefault(act)) return y;
    if (act.opType === 'Relu') {
      bounds.set(act.outputs[0], { min: 0, max: Infinity });
      return act.outputs[0];
    }
    if (act.opType === 'Clip') {
      const b = clipBounds(act, constants);
      if (b && b.min === 0 && b.max > 0) {
        bounds.set(act.outputs[0], b);
        return act.outputs[0];
      }
    }
    return y;
  };

  // Inputs of static nodes are quantized wherever they come from; pass-through outputs share the
  // parameters of their input, so the graph is walked in order and required tensors come last.
  const required = new Set<string>();
  for (const n of staticNodes) if (n.inputs[0]) required.add(n.inputs[0]);
  for (const i of graph.inputs) if (required.has(i.name)) add(i.name);
  for (const n of graph.nodes) {
    const y = n.outputs[0];
    if (!y) continue;
    if (staticNodes.has(n)) {
      add(quantizedOutput(y));
    } else if (
      isDefault(n) &&
      QDQ_PASS_THROUGH.has(n.opType) &&
      inPlan.has(n.inputs[0]) &&
      n.outputs.filter(Boolean).length === 1
    ) {
      add(y, n.inputs[0]);
    } else if (isDefault(n) && QDQ_OWN_PARAMS.has(n.opType)) {
      const acts = n.inputs.filter((i) => i && !constants.has(i));
      if (acts.length > 0 && acts.every((i) => inPlan.has(i))) add(quantizedOutput(y));
    }
    for (const o of n.outputs) if (o && required.has(o)) add(o);
  }
  const observe = tensors.filter((t) => !sharedWith.has(t));
  return { tensors, sharedWith, observe, bounds };
}

/**
 * Keeps a tensor's representable range inside `bounds` (so onnxruntime can drop a folded Clip):
 * lowers the float32 scale by ulps until `scale · (qmax − zeroPoint)` ≤ `bounds.max`.
 *
 * @example
 * fitBounds(params, { min: 0, max: 6 });
 */
export function fitBounds(params: QuantParams, bounds: { min: number; max: number }): QuantParams {
  if (!Number.isFinite(bounds.max)) return params;
  const [, qmax] = quantRange(params.dataType);
  const hi = params.qmax ?? qmax;
  const scale = Float32Array.from(params.scale);
  for (let i = 0; i < scale.length; i++) {
    for (let k = 0; k < 64 && Math.fround(scale[i] * (hi - params.zeroPoint[i])) > bounds.max; k++)
      scale[i] = prevFloat32(scale[i]);
  }
  return { ...params, scale };
}

function prevFloat32(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  if (x > 0) u[0] -= 1;
  return f[0];
}

/** What {@link buildStaticQdq} needs besides the graph. */
export interface StaticQdqInput {
  /** Nodes to compute in 8-bit integers, with their int8 weights (per channel along the weight's axis). */
  weights: ReadonlyMap<Node, QuantizedWeight>;
  /** The activation plan ({@link planActivations}). */
  plan: ActivationPlan;
  /** Per-tensor parameters of every tensor in `plan.tensors` (shared ones included). */
  activations: ReadonlyMap<string, QuantParams>;
  /** Constants of the graph (initializers), by name. */
  constants: ReadonlyMap<string, Tensor>;
}

const QTYPE: Record<string, number> = { int8: DataType.INT8, uint8: DataType.UINT8 };

/**
 * Builds the QDQ graph: Q→DQ pairs on planned activations (readers rewired to the DequantizeLinear
 * output, graph outputs unchanged), int8 weights with a per-channel DequantizeLinear, and int32
 * biases with scale `s_x · s_w` (what onnxruntime needs to fuse Conv/Gemm/MatMul into
 * QLinearConv/QGemm/QLinearMatMul). Unused float constants are dropped. Pure.
 *
 * @example
 * const q = buildStaticQdq(graph, { weights, plan, activations, constants });
 */
export function buildStaticQdq(graph: Graph, input: StaticQdqInput): Graph {
  const { weights, plan, activations, constants } = input;
  const names = new Names(graph);
  const newInits: Tensor[] = [];
  const front: Node[] = [];
  const after = new Map<string, Node[]>();
  const rewire = new Map<string, string>();
  const qdqNodes = new Set<Node>();

  for (const t of plan.tensors) {
    const p = activations.get(t);
    if (!p || p.scale.length !== 1) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `no per-tensor quantization parameters for activation '${t}'`,
        { field: t },
      );
    }
    const qType = QTYPE[p.dataType];
    if (qType === undefined)
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_BITS,
        `activations are quantized to int8 or uint8, not ${p.dataType}`,
        { field: t },
      );
    const st = names.stem(t, 'act');
    const scale = createTensor(names.take(`${st}_s`), DataType.FLOAT, [], p.scale);
    const zp = createTensor(names.take(`${st}_z`), qType, [], [p.zeroPoint[0]]);
    newInits.push(scale, zp);
    const quantized = names.take(`${st}_q`);
    const dequantized = names.take(`${st}_dq`);
    const q = op('QuantizeLinear', names.take(`${st}_Q`), [t, scale.name, zp.name], [quantized]);
    const dq = op(
      'DequantizeLinear',
      names.take(`${st}_DQ`),
      [quantized, scale.name, zp.name],
      [dequantized],
    );
    qdqNodes.add(q);
    qdqNodes.add(dq);
    after.set(t, [q, dq]);
    rewire.set(t, dequantized);
  }

  const replaced = new Map<Node, Node>();
  for (const [node, w] of weights) {
    const wName = node.inputs[1];
    const x = node.inputs[0];
    const xp = activations.get(x);
    if (!xp)
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `input '${x}' of a static node has no parameters`,
        { node: node.name, opType: node.opType },
      );
    if (w.bits !== 8 || w.codeRange[0] < -128 || w.codeRange[1] > 127) {
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_BITS,
        `static quantization computes with int8 weights, not ${w.scheme}`,
        { node: node.name, opType: node.opType },
      );
    }
    const perChannel = w.scale.length > 1;
    const axisAttrs: Record<string, Attribute> = perChannel ? { axis: int(w.axis) } : {};
    const pdims = perChannel ? [w.scale.length] : [];
    const sw = names.stem(wName, 'w');
    const wq = createTensor(names.take(`${sw}_q`), DataType.INT8, w.dims, Array.from(w.codes));
    const ws = createTensor(names.take(`${sw}_s`), DataType.FLOAT, pdims, w.scale);
    // Symmetric int8 Conv weights: zero point 0 is DequantizeLinear's default, so no tensor is
    // stored (onnxruntime still fuses QLinearConv; its Gemm/MatMul fusions want the tensor).
    const omitZero = node.opType === 'Conv' && Array.from(w.zeroPoint).every((z) => z === 0);
    const wz = omitZero
      ? undefined
      : createTensor(names.take(`${sw}_z`), DataType.INT8, pdims, Array.from(w.zeroPoint));
    newInits.push(wq, ws, ...(wz ? [wz] : []));
    const wOut = names.take(`${sw}_dq`);
    front.push(
      op(
        'DequantizeLinear',
        names.take(`${sw}_DQ`),
        [wq.name, ws.name, ...(wz ? [wz.name] : [])],
        [wOut],
        axisAttrs,
      ),
    );
    const inputs = [...node.inputs];
    inputs[1] = wOut;
    const bName = node.inputs[2];
    const bias = bName ? constants.get(bName) : undefined;
    if (
      bName &&
      bias &&
      bias.dataType === DataType.FLOAT &&
      bias.dims.length === 1 &&
      (bias.dims[0] === w.scale.length || !perChannel)
    ) {
      const b = toFloat32(bias);
      const bScale = new Float32Array(perChannel ? w.scale.length : 1);
      for (let c = 0; c < bScale.length; c++) bScale[c] = Math.fround(xp.scale[0] * w.scale[c]);
      const bq = new Int32Array(b.length);
      for (let i = 0; i < b.length; i++) {
        const v = Math.round(b[i] / bScale[perChannel ? i : 0]);
        bq[i] = Math.max(-2147483648, Math.min(2147483647, v));
      }
      const sb = names.stem(bName, 'b');
      const bqT = createTensor(names.take(`${sb}_q`), DataType.INT32, bias.dims, bq);
      const bsT = createTensor(
        names.take(`${sb}_s`),
        DataType.FLOAT,
        perChannel ? [bScale.length] : [],
        bScale,
      );
      // The zero point of an int32 bias is 0, DequantizeLinear's default: no tensor needed.
      newInits.push(bqT, bsT);
      const bOut = names.take(`${sb}_dq`);
      front.push(
        op(
          'DequantizeLinear',
          names.take(`${sb}_DQ`),
          [bqT.name, bsT.name],
          [bOut],
          perChannel ? { axis: int(0) } : {},
        ),
      );
      inputs[2] = bOut;
    }
    replaced.set(node, { ...node, inputs });
  }

  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const nodes: Node[] = [...front];
  for (const t of plan.tensors) if (graphInputs.has(t)) nodes.push(...after.get(t)!);
  for (const n0 of graph.nodes) {
    const n = replaced.get(n0) ?? n0;
    nodes.push(
      n.inputs.some((i) => rewire.has(i)) ? { ...n, inputs: n.inputs.map((i) => rewire.get(i) ?? i) } : n,
    );
    for (const o of n.outputs) {
      const pair = o && !graphInputs.has(o) ? after.get(o) : undefined;
      if (pair) nodes.push(...pair);
    }
  }
  const used = new Set<string>();
  for (const n of nodes) for (const i of n.inputs) if (i) used.add(i);
  for (const o of graph.outputs) used.add(o.name);
  const initializers = [
    ...graph.initializers.filter((t) => used.has(t.name) || graphInputs.has(t.name)),
    ...newInits,
  ];
  return { ...graph, nodes, initializers };
}
