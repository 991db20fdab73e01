import {
  DataType,
  attrInt,
  matchesSelector,
  nodeLabel,
  type Graph,
  type Selector,
  type Tensor,
} from '@metacompress/ir';

/** Op types whose weights unstructured and N:M sparsity act on by default. */
export const DEFAULT_WEIGHT_OPS: readonly string[] = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul'];

/** A float32 weight initializer a selected layer multiplies by. */
export interface WeightTarget {
  /** Label of the (first) selected node that reads the weight. */
  node: string;
  opType: string;
  tensor: Tensor;
  /** The axis the layer sums over (input channels / K): N:M groups run along it. */
  reductionAxis: number;
}

/**
 * The weights of the layers a selector picks: input 1 of Conv/ConvTranspose/Gemm/MatMul (the
 * default op types when the selector names none) when it is a float32 initializer that no feed can
 * override. Each tensor is listed once even when several layers share it.
 *
 * @example
 * weightTargets(graph, { exclude: { names: ['/fc3/*'] } }).map((t) => t.tensor.name);
 */
export function weightTargets(graph: Graph, selector: Selector = {}): WeightTarget[] {
  const effective: Selector = selector.opTypes?.length
    ? selector
    : { ...selector, opTypes: DEFAULT_WEIGHT_OPS };
  const inits = new Map(graph.initializers.map((t) => [t.name, t]));
  const overridable =
    graph.model.irVersion >= 4 ? new Set(graph.inputs.map((i) => i.name)) : new Set<string>();
  const seen = new Set<string>();
  const out: WeightTarget[] = [];
  graph.nodes.forEach((node, index) => {
    if (!matchesSelector(node, effective)) return;
    const name = node.inputs[1];
    const tensor = name ? inits.get(name) : undefined;
    if (!tensor || tensor.dataType !== DataType.FLOAT || overridable.has(name) || seen.has(name)) return;
    if (tensor.dims.length < 2) return;
    seen.add(name);
    let reductionAxis: number;
    if (node.opType === 'Gemm') reductionAxis = attrInt(node, 'transB', 0) ? 1 : 0;
    else if (node.opType === 'MatMul') reductionAxis = tensor.dims.length - 2;
    else if (node.opType === 'ConvTranspose') reductionAxis = 0;
    else reductionAxis = 1;
    out.push({ node: nodeLabel(node, index), opType: node.opType, tensor, reductionAxis });
  });
  return out;
}
