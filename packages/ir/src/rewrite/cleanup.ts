import type { Graph, Node } from '../graph';

/**
 * Removes, among `candidates` (initializer names and Identity/Constant node outputs), those that
 * nothing reads any more (no node input, no graph output, no subgraph reference), repeatedly.
 * Everything else is left alone.
 */
export function dropUnused(graph: Graph, candidates: Iterable<string>): Graph {
  const pending = new Set(candidates);
  if (pending.size === 0) return graph;
  let nodes = graph.nodes;
  let initializers = graph.initializers;
  const keepNames = new Set<string>([
    ...graph.outputs.map((o) => o.name),
    ...graph.inputs.map((i) => i.name),
  ]);
  const subgraphUses = new Set<string>();
  const visit = (body: { nodes: readonly Node[]; outputs: readonly { name: string }[] }): void => {
    for (const n of body.nodes) {
      for (const i of n.inputs) if (i) subgraphUses.add(i);
      for (const a of Object.values(n.attributes)) {
        if (a.type === 'graph') visit(a.value);
        else if (a.type === 'graphs') a.value.forEach(visit);
      }
    }
    for (const o of body.outputs) subgraphUses.add(o.name);
  };
  for (const n of graph.nodes) {
    for (const a of Object.values(n.attributes)) {
      if (a.type === 'graph') visit(a.value);
      else if (a.type === 'graphs') a.value.forEach(visit);
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    const used = new Set<string>();
    for (const n of nodes) for (const i of n.inputs) if (i) used.add(i);
    const dead = (name: string): boolean =>
      pending.has(name) && !used.has(name) && !keepNames.has(name) && !subgraphUses.has(name);
    const nextNodes = nodes.filter((n) => {
      const removable =
        (n.opType === 'Identity' || n.opType === 'Constant') && n.outputs.length === 1 && dead(n.outputs[0]);
      if (removable) for (const i of n.inputs) if (i) pending.add(i);
      return !removable;
    });
    const nextInits = initializers.filter((t) => !dead(t.name));
    if (nextNodes.length !== nodes.length) {
      nodes = nextNodes;
      changed = true;
    }
    if (nextInits.length !== initializers.length) {
      initializers = nextInits;
      changed = true;
    }
  }
  if (nodes === graph.nodes && initializers === graph.initializers) return graph;
  const alive = new Set<string>();
  for (const n of nodes) for (const o of n.outputs) alive.add(o);
  for (const t of initializers) alive.add(t.name);
  for (const i of graph.inputs) alive.add(i.name);
  const valueInfo = graph.valueInfo.filter((v) => alive.has(v.name));
  return {
    ...graph,
    nodes,
    initializers,
    valueInfo: valueInfo.length === graph.valueInfo.length ? graph.valueInfo : valueInfo,
  };
}
