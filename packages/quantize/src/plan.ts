import { ErrorCodes, MetacompressError, WEIGHT_BITS, type Policy, type WeightBits } from '@metacompress/core';
import {
  analyzeCoupling,
  attrInt,
  DataType,
  matchesSelector,
  nodeLabel,
  type Graph,
  type Node,
  type Selector,
  type Tensor,
} from '@metacompress/ir';
import { staticWeightAxis } from './static-qdq';
import type { WeightScheme } from './weight-quantizers';

/** Ops whose input 1 is a weight this package can quantize. */
export const WEIGHT_OPS: readonly string[] = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];

/** What happens to one node's weight. */
export interface NodePlan {
  node: Node;
  /** The node's name, or `#index (OpType)` (as coupling analysis labels it). */
  label: string;
  /** Name of the weight constant (input 1). */
  weight: string;
  /** Channel axis of the weight for per-channel parameters. */
  axis: number;
  /** Bits the weight keeps: 32 float, 16 float16, 8 int8, 4 int4, 2 ternary, 1 binary. */
  bits: WeightBits;
  /** Where the bits came from: the policy group(s), or the operator's default. */
  source: 'policy' | 'default';
  /** Coupling groups whose channels this node produces. */
  groups: string[];
  /** Conv/Gemm/MatMul that can compute in int8 (QDQ) when it has 8 bits. */
  staticEligible: boolean;
  /** Gemm/MatMul that dynamic quantization (DynamicQuantizeLinear + MatMulInteger) can run. */
  dynamicEligible: boolean;
}

/** Options of {@link planWeights}. */
export interface PlanWeightsOptions {
  /** Bits of selected nodes the policy says nothing about (default 8). */
  bits?: number;
  /** Which nodes to quantize (default: every Conv, ConvTranspose, Gemm and MatMul with a constant weight). */
  selector?: Selector;
}

/**
 * Weight storage scheme of a bit width: 8 → int8, 4 → int4, 2 → ternary, 1 → binary, 16 → fp16
 * (32 keeps float and has no scheme).
 *
 * @example
 * schemeForBits(2); // 'ternary'
 */
export function schemeForBits(
  bits: number,
  where: { node?: string; group?: string; field?: string } = {},
): WeightScheme | undefined {
  switch (bits) {
    case 32:
      return undefined;
    case 16:
      return 'fp16';
    case 8:
      return 'int8';
    case 4:
      return 'int4';
    case 2:
      return 'ternary';
    case 1:
      return 'binary';
    default:
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_BITS,
        `weight bits must be one of ${WEIGHT_BITS.join(', ')}, got ${bits}`,
        where,
      );
  }
}

function weightAxis(node: Node, w: Tensor): number {
  if (node.opType === 'Gemm') return attrInt(node, 'transB', 0) ? 0 : 1;
  if (node.opType === 'MatMul') return Math.max(w.dims.length - 1, 0);
  return 0;
}

/**
 * Decides the bits of every weight: nodes selected by `selector` that read a constant float weight
 * get the `weightBits` of the coupling groups they produce (`analyzeCoupling`; a node producing
 * channels of several groups takes the most bits any of them asks for), or the default `bits`.
 * A policy group that the graph does not have gives `MC_UNKNOWN_GROUP`; a bit width that is not
 * 32, 16, 8, 4, 2 or 1 gives `MC_UNSUPPORTED_BITS`.
 *
 * @example
 * const plans = planWeights(graph, policy, { bits: 8, selector: { exclude: { names: ['/fc3/*'] } } });
 * plans.map((p) => [p.label, p.bits]);
 */
export function planWeights(
  graph: Graph,
  policy: Policy | undefined,
  options: PlanWeightsOptions = {},
): NodePlan[] {
  const defaultBits = options.bits ?? 8;
  schemeForBits(defaultBits, { field: 'bits' });
  const constants = new Map(graph.initializers.map((t) => [t.name, t] as const));
  const inputs = new Set(graph.inputs.map((i) => i.name));
  for (const i of inputs) constants.delete(i);
  const withBits = (policy?.groups ?? []).filter((g) => g.weightBits !== undefined);
  const byGroup = new Map<string, number>();
  for (const g of withBits) {
    schemeForBits(g.weightBits!, { group: g.group, field: 'weightBits' });
    byGroup.set(g.group, g.weightBits!);
  }
  const nodeGroups = new Map<string, string[]>();
  if (withBits.length > 0) {
    const groups = analyzeCoupling(graph);
    const known = new Set(groups.map((g) => g.id));
    for (const g of withBits) {
      if (!known.has(g.group)) {
        throw new MetacompressError(
          ErrorCodes.UNKNOWN_GROUP,
          `the policy sets weightBits for group '${g.group}', which the graph does not have`,
          {
            group: g.group,
            field: 'policy.groups',
          },
        );
      }
    }
    for (const g of groups) {
      for (const s of g.slices) {
        if (s.role !== 'output') continue;
        const list = nodeGroups.get(s.node) ?? [];
        if (!list.includes(g.id)) list.push(g.id);
        nodeGroups.set(s.node, list);
      }
    }
  }
  const selector = options.selector ?? { opTypes: WEIGHT_OPS };
  const plans: NodePlan[] = [];
  graph.nodes.forEach((node, index) => {
    if (
      (node.domain !== '' && node.domain !== 'ai.onnx') ||
      !WEIGHT_OPS.includes(node.opType) ||
      !matchesSelector(node, selector)
    )
      return;
    const w = constants.get(node.inputs[1] ?? '');
    if (
      !w ||
      (w.dataType !== DataType.FLOAT && w.dataType !== DataType.FLOAT16 && w.dataType !== DataType.DOUBLE)
    )
      return;
    if (constants.has(node.inputs[0] ?? '')) return;
    const label = nodeLabel(node, index);
    const groups = nodeGroups.get(label) ?? [];
    const fromPolicy = groups.map((g) => byGroup.get(g)).filter((b): b is number => b !== undefined);
    const bits = (fromPolicy.length ? Math.max(...fromPolicy) : defaultBits) as WeightBits;
    plans.push({
      node,
      label,
      weight: w.name,
      axis: weightAxis(node, w),
      bits,
      source: fromPolicy.length ? 'policy' : 'default',
      groups,
      staticEligible: w.dataType === DataType.FLOAT && staticWeightAxis(node, constants) !== undefined,
      dynamicEligible:
        w.dataType === DataType.FLOAT &&
        w.dims.length === 2 &&
        (node.opType === 'MatMul' || staticWeightAxis(node, constants) !== undefined),
    });
  });
  return plans;
}
