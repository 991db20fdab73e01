import { ErrorCodes, MetacompressError, isMetacompressError } from '@metacompress/core';
import { byteLengthOf, DataType, isFloatType } from '../dtype';
import type { Dim, Graph, GraphBody, Node } from '../graph';
import { nodeLabel } from '../graph-index';
import { DEFAULT_OPSET, inferShapes } from '../shape/infer-shapes';
import type { ValueShape } from '../shape/value-shape';
import { createTensor, type Tensor } from '../tensor';
import { builtinCostRules } from './builtin-cost-rules';
import {
  costRuleKey,
  registeredCostRule,
  type CostContext,
  type CostRule,
  type InputRole,
} from './cost-rule';

/**
 * Cost of one node. `params` and `bytes` are those of the initializers this node is the first
 * (graph-wide) user of, including weights reached through DequantizeLinear/Cast/Transpose chains.
 *
 * @example
 * const conv1: NodeCost = { node: 'conv1', opType: 'Conv', params: 156, macs: 117600, flops: 239904, bytes: 624 };
 */
export interface NodeCost {
  node: string;
  opType: string;
  params: number;
  macs: number;
  flops: number;
  bytes: number;
}

/**
 * Cost of a whole graph: sums over its nodes, the per-node breakdown, and the nodes whose MACs or
 * FLOPs could not be counted because shapes stayed unknown.
 */
export interface GraphCost {
  params: number;
  macs: number;
  flops: number;
  bytes: number;
  nodes: NodeCost[];
  unresolved: string[];
}

/**
 * Options of {@link costOf}.
 *
 * @example
 * costOf(graph, { batchSize: 1 });
 */
export interface CostOptions {
  /** Substitutes symbolic first dims of graph inputs (default 1: MACs per sample). */
  batchSize?: number;
  /** Replaces the declared shapes of named graph inputs. */
  inputShapes?: Record<string, readonly Dim[]>;
  /** The model file, named in error details. */
  file?: string;
  /** Shapes already inferred (with the same batch size), to avoid inferring twice. */
  shapes?: Map<string, ValueShape>;
}

/** Ops that only carry a constant to its real consumer (a weight stored as int8 + DequantizeLinear). */
const CARRIERS = new Set([
  'DequantizeLinear',
  'QuantizeLinear',
  'Cast',
  'CastLike',
  'Identity',
  'Transpose',
  'Reshape',
  'Squeeze',
  'Unsqueeze',
  'Flatten',
  'Constant',
]);

interface Source {
  key: string;
  tensor: Tensor;
  /** Fixed role (scales and zero points of a Q/DQ carrier, shape targets of a Reshape carrier). */
  role?: InputRole;
  /** Reached the consumer through a DequantizeLinear (int32 biases count as params then). */
  viaDequantize: boolean;
}

/**
 * Storage bytes of a tensor: its raw byte length (int4/uint4 packed two per byte), the sum of the
 * string lengths for string tensors, or the declared external-data length.
 *
 * @example
 * tensorBytes(createTensor('w', DataType.INT4, [3], [1, 2, 3])); // 2
 */
export function tensorBytes(t: Tensor): number {
  if (t.raw) return t.raw.byteLength;
  if (t.strings) return t.strings.reduce((a, s) => a + s.byteLength, 0);
  if (t.external?.length !== undefined) return t.external.length;
  const n = t.dims.reduce((a, b) => a * b, 1);
  return byteLengthOf(t.dataType, n) ?? 0;
}

const QUANT_TYPES = new Set<number>([
  DataType.INT8,
  DataType.UINT8,
  DataType.INT16,
  DataType.UINT16,
  DataType.INT4,
  DataType.UINT4,
  DataType.FLOAT8E4M3FN,
  DataType.FLOAT8E4M3FNUZ,
  DataType.FLOAT8E5M2,
  DataType.FLOAT8E5M2FNUZ,
  DataType.FLOAT4E2M1,
]);

function isParam(role: InputRole, s: Source): boolean {
  const t = s.tensor.dataType;
  if (role === 'storage') return false;
  if (role === 'weight') return t !== DataType.STRING && t !== DataType.BOOL;
  return (
    isFloatType(t) ||
    QUANT_TYPES.has(t) ||
    (s.viaDequantize && (t === DataType.INT32 || t === DataType.UINT32))
  );
}

function constantTensor(node: Node): Tensor | undefined {
  const name = node.outputs[0];
  for (const [k, a] of Object.entries(node.attributes)) {
    if (k === 'value' && a.type === 'tensor') return a.value;
    if (k === 'value_float' && a.type === 'float') return createTensor(name, DataType.FLOAT, [], [a.value]);
    if (k === 'value_floats' && a.type === 'floats')
      return createTensor(name, DataType.FLOAT, [a.value.length], [...a.value]);
    if (k === 'value_int' && a.type === 'int') return createTensor(name, DataType.INT64, [], [a.value]);
    if (k === 'value_ints' && a.type === 'ints')
      return createTensor(name, DataType.INT64, [a.value.length], [...a.value]);
    if (k === 'value_string' && a.type === 'string')
      return { name, dataType: DataType.STRING, dims: [], strings: [new TextEncoder().encode(a.value)] };
    if (k === 'value_strings' && a.type === 'strings')
      return {
        name,
        dataType: DataType.STRING,
        dims: [a.value.length],
        strings: a.value.map((s) => new TextEncoder().encode(s)),
      };
  }
  return undefined;
}

let builtins: Map<string, CostRule> | undefined;

function ruleFor(node: Node): CostRule | undefined {
  const domain = node.domain === 'ai.onnx' ? '' : node.domain;
  builtins ??= builtinCostRules();
  return registeredCostRule(node.opType, domain) ?? builtins.get(costRuleKey(node.opType, domain));
}

/**
 * Counts parameters, MACs, FLOPs and storage bytes of a graph, per node and in total.
 *
 * Rules (documented so numbers can be checked by hand):
 * - **params**: elements of the initializers (and Constant-node tensors) a node uses as weights,
 *   biases or normalization parameters, each counted once graph-wide (by its first consumer).
 *   Int64/bool/string tensors (Reshape targets, axes, indices) and quantization scales/zero-points are
 *   never params. A weight stored as int8/int4 + DequantizeLinear counts its element count once, at
 *   the node that consumes the dequantized weight (e.g. the Conv), not at the DequantizeLinear.
 * - **bytes**: storage of every initializer/Constant tensor some node reads (raw byte length; int4
 *   packed two per byte; Q/DQ scales and zero-points and shape constants included), attributed like
 *   params. So an int8 weight shows its int8 bytes, and bytes reflect storage while params reflect
 *   element counts. Initializers no node reads are not counted.
 * - **macs**: per run at the given batch (default 1, i.e. per sample): Conv = output elements ×
 *   (Cin/group) × kH × kW; ConvTranspose = input elements × (Cout/group) × kH × kW; Gemm/MatMul =
 *   M × N × K (× batch dims); the same for QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger
 *   and com.microsoft FusedConv/FusedGemm/FusedMatMul/QGemm. Every other op (BatchNormalization,
 *   elementwise, pools, Softmax, ...) counts 0 MACs.
 * - **flops** (an estimate): 2 per MAC plus one per output element for a bias; 1 per output element
 *   for elementwise ops; 2 for BatchNormalization; kernel size per output element for pools; input
 *   elements for global pools and reductions; 3 per element for Softmax; 0 for layout ops.
 * Ops can change their rules with {@link registerCostRule}.
 *
 * @example
 * const cost = costOf(graph);
 * cost.macs; // 416520 for LeNet-5
 * cost.nodes.find((n) => n.node === 'conv1')?.params; // 156
 */
export function costOf(graph: Graph | GraphBody, options: CostOptions = {}): GraphCost {
  const shapes =
    options.shapes ??
    inferShapes(graph, {
      batchSize: options.batchSize ?? 1,
      inputShapes: options.inputShapes,
      file: options.file,
    });
  const opsets = 'model' in graph && graph.model ? graph.model.opsetImports : [];
  const opsetOf = (domain: string): number =>
    opsets.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === domain)?.version ??
    (domain === '' ? DEFAULT_OPSET : 1);
  const sources = new Map<string, Source[]>();
  for (const t of graph.initializers) sources.set(t.name, [{ key: t.name, tensor: t, viaDequantize: false }]);
  const counted = new Set<string>();
  const result: NodeCost[] = [];
  const unresolved: string[] = [];
  const pendingCarriers: { node: Node; cost: NodeCost }[] = [];

  const charge = (cost: NodeCost, srcs: readonly Source[], role: InputRole): void => {
    for (const s of srcs) {
      if (counted.has(s.key)) continue;
      counted.add(s.key);
      cost.bytes += tensorBytes(s.tensor);
      if (isParam(s.role ?? role, s)) cost.params += s.tensor.dims.reduce((a, b) => a * b, 1);
    }
  };

  graph.nodes.forEach((node, index) => {
    const label = nodeLabel(node, index);
    const cost: NodeCost = { node: label, opType: node.opType, params: 0, macs: 0, flops: 0, bytes: 0 };
    result.push(cost);
    const rule = ruleFor(node);
    const roles = typeof rule?.inputRoles === 'function' ? rule.inputRoles(node) : (rule?.inputRoles ?? []);
    if (CARRIERS.has(node.opType) && (node.domain === '' || node.domain === 'ai.onnx')) {
      const present = node.inputs.filter(Boolean);
      if (node.opType === 'Constant') {
        const t = constantTensor(node);
        if (t && node.outputs[0])
          sources.set(node.outputs[0], [
            { key: `constant:${node.outputs[0]}`, tensor: t, viaDequantize: false },
          ]);
        pendingCarriers.push({ node, cost });
        return;
      }
      if (present.length > 0 && present.every((name) => sources.has(name))) {
        const srcs: Source[] = [];
        node.inputs.forEach((name, i) => {
          if (!name) return;
          for (const s of sources.get(name)!) {
            if (i === 0)
              srcs.push({ ...s, viaDequantize: s.viaDequantize || node.opType === 'DequantizeLinear' });
            else srcs.push({ ...s, role: 'storage' });
          }
        });
        if (node.outputs[0]) sources.set(node.outputs[0], srcs);
        pendingCarriers.push({ node, cost });
        return;
      }
    }
    node.inputs.forEach((name, i) => {
      const srcs = name ? sources.get(name) : undefined;
      if (srcs) charge(cost, srcs, roles[i] ?? 'auto');
    });
    if (!rule?.macs && !rule?.flops) return;
    const ctx: CostContext = {
      label,
      opset: opsetOf(node.domain === 'ai.onnx' ? '' : node.domain),
      input: (i) => (node.inputs[i] ? shapes.get(node.inputs[i]) : undefined),
      output: (i) => (node.outputs[i] ? shapes.get(node.outputs[i]) : undefined),
    };
    try {
      const macs = rule.macs ? rule.macs(node, ctx) : 0;
      const flops = rule.flops ? rule.flops(node, ctx) : 0;
      if (macs === undefined || flops === undefined) unresolved.push(label);
      cost.macs = macs ?? 0;
      cost.flops = flops ?? 0;
    } catch (e) {
      const where = { node: label, opType: node.opType, file: options.file };
      if (isMetacompressError(e)) throw e.withDetails(where);
      throw new MetacompressError(
        ErrorCodes.MODEL_INVALID,
        `cost rule of ${node.opType} failed: ${e instanceof Error ? e.message : String(e)}`,
        where,
        { cause: e },
      );
    }
  });
  // constants whose carriers feed no counting node (e.g. a dequantized graph output): charge the carrier
  for (const { node, cost } of pendingCarriers) {
    const srcs = node.outputs[0] ? sources.get(node.outputs[0]) : undefined;
    if (srcs) charge(cost, srcs, 'auto');
  }
  const sum = (k: 'params' | 'macs' | 'flops' | 'bytes'): number => result.reduce((a, c) => a + c[k], 0);
  return {
    params: sum('params'),
    macs: sum('macs'),
    flops: sum('flops'),
    bytes: sum('bytes'),
    nodes: result,
    unresolved,
  };
}
