import { DataType } from '../dtype';
import type { Graph, GraphBody, Node } from '../graph';
import { createTensor, type Tensor } from '../tensor';

/** Where a constant tensor lives: an initializer, or the attribute of a `Constant` node. */
export interface ConstantSource {
  tensor: Tensor;
  /** Name of the initializer or Constant output that holds the data (differs from the key for Identity aliases). */
  base: string;
  /** The Constant node holding it (absent for initializers). */
  node?: Node;
  /** False for Constant nodes given as `value_floats`/`value_ints` etc. (read-only here). */
  sliceable: boolean;
}

function constantNodeTensor(node: Node): ConstantSource | undefined {
  const name = node.outputs[0];
  if (!name) return undefined;
  const attrs = node.attributes;
  const value = attrs.value;
  if (value?.type === 'tensor')
    return { tensor: { ...value.value, name }, base: name, node, sliceable: true };
  const vf = attrs.value_float;
  if (vf?.type === 'float')
    return { tensor: createTensor(name, DataType.FLOAT, [], [vf.value]), base: name, node, sliceable: false };
  const vi = attrs.value_int;
  if (vi?.type === 'int')
    return { tensor: createTensor(name, DataType.INT64, [], [vi.value]), base: name, node, sliceable: false };
  const vfs = attrs.value_floats;
  if (vfs?.type === 'floats')
    return {
      tensor: createTensor(name, DataType.FLOAT, [vfs.value.length], [...vfs.value]),
      base: name,
      node,
      sliceable: false,
    };
  const vis = attrs.value_ints;
  if (vis?.type === 'ints')
    return {
      tensor: createTensor(name, DataType.INT64, [vis.value.length], [...vis.value]),
      base: name,
      node,
      sliceable: false,
    };
  return undefined;
}

/**
 * Constants of a graph by value name: initializers and outputs of `Constant` nodes in the top
 * graph (initializers win when both exist, as in ONNX), and outputs of `Identity` nodes of those
 * (aliases: `base` names the tensor that holds the data).
 *
 * @example
 * const consts = collectConstants(graph);
 * consts.get('conv1.weight')?.tensor.dims; // [16, 3, 3, 3]
 */
export function collectConstants(graph: GraphBody): Map<string, ConstantSource> {
  const out = new Map<string, ConstantSource>();
  for (const node of graph.nodes) {
    if (node.opType !== 'Constant' || (node.domain !== '' && node.domain !== 'ai.onnx')) continue;
    const c = constantNodeTensor(node);
    if (c) out.set(c.tensor.name, c);
  }
  // From IR version 4 an initializer that is also a graph input is only a default value that a
  // feed may override (as onnxruntime decides): not a constant. Before that, it is one.
  const overridable = !('model' in graph) || (graph as Graph).model.irVersion >= 4;
  const inputs = new Set(graph.inputs.map((i) => i.name));
  for (const t of graph.initializers) {
    if (overridable && inputs.has(t.name)) continue;
    out.set(t.name, { tensor: t, base: t.name, sliceable: true });
  }
  // Identity of a constant (exporters use it to share one initializer between two parameters).
  for (const node of graph.nodes) {
    if (node.opType !== 'Identity' || (node.domain !== '' && node.domain !== 'ai.onnx') || !node.outputs[0])
      continue;
    const src = out.get(node.inputs[0] ?? '');
    if (src && !out.has(node.outputs[0])) out.set(node.outputs[0], src);
  }
  return out;
}

/**
 * Names referenced from inside nested graphs (If/Loop/Scan bodies) of a graph's nodes.
 *
 * @example
 * namesUsedBySubgraphs(graph).has('x'); // true when an If branch reads 'x'
 */
export function namesUsedBySubgraphs(graph: GraphBody): Set<string> {
  const used = new Set<string>();
  const visit = (body: GraphBody): void => {
    for (const node of body.nodes) {
      for (const i of node.inputs) if (i) used.add(i);
      for (const a of Object.values(node.attributes)) {
        if (a.type === 'graph') visit(a.value);
        else if (a.type === 'graphs') a.value.forEach(visit);
      }
    }
    for (const o of body.outputs) used.add(o.name);
  };
  for (const node of graph.nodes) {
    for (const a of Object.values(node.attributes)) {
      if (a.type === 'graph') visit(a.value);
      else if (a.type === 'graphs') a.value.forEach(visit);
    }
  }
  return used;
}
