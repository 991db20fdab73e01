import {
  matchesSelector,
  nodeLabel,
  type CouplingGroup,
  type Graph,
  type Node,
  type Selector,
} from '@metacompress/ir';

/** Why a group is not offered for pruning. */
export interface GroupSelection {
  /** Prunable groups the selector picks. */
  selected: CouplingGroup[];
  /** Groups the selector leaves out or protects, with the reason. */
  protected: Map<string, string>;
}

/**
 * Applies an NNI-style selector to coupling groups through their producers (the layers whose
 * output channels the group is): a group is selected when some producer matches the include part
 * (`opTypes`, `names`) and no producer matches `exclude`. Excluding a layer protects its output
 * channels; its input channels belong to the layer before it and follow that layer's group.
 * Unprunable groups are never selected.
 *
 * @example
 * selectGroups(graph, analyzeCoupling(graph), { opTypes: ['Conv'], exclude: { names: ['/stem/*'] } }).selected.map((g) => g.id);
 */
export function selectGroups(
  graph: Graph,
  groups: readonly CouplingGroup[],
  selector: Selector = {},
): GroupSelection {
  const byLabel = new Map<string, Node>();
  graph.nodes.forEach((n, i) => byLabel.set(nodeLabel(n, i), n));
  const include: Selector = {
    ...(selector.opTypes ? { opTypes: selector.opTypes } : {}),
    ...(selector.names ? { names: selector.names } : {}),
  };
  const ex = selector.exclude;
  const hasExclude = !!ex && ((ex.opTypes?.length ?? 0) > 0 || (ex.names?.length ?? 0) > 0);
  const excluded = (n: Node): boolean =>
    hasExclude &&
    ((ex!.opTypes?.length ? ex!.opTypes.includes(n.opType) : false) ||
      (ex!.names?.length ? matchesSelector(n, { names: ex!.names }) : false));
  const selected: CouplingGroup[] = [];
  const protectedGroups = new Map<string, string>();
  for (const g of groups) {
    if (!g.prunable) {
      protectedGroups.set(g.id, g.reason ?? 'unprunable');
      continue;
    }
    const producers = g.producers.map((p) => byLabel.get(p)).filter((n): n is Node => !!n);
    const blocker = producers.find(excluded);
    if (blocker) {
      protectedGroups.set(g.id, `protected by the selector's exclude (producer '${blocker.name}')`);
      continue;
    }
    if (!producers.some((n) => matchesSelector(n, include))) {
      protectedGroups.set(g.id, 'not picked by the selector');
      continue;
    }
    selected.push(g);
  }
  return { selected, protected: protectedGroups };
}
