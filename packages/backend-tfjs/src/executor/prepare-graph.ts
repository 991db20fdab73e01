import {
  foldConstants,
  initializersOverridable,
  isFloatType,
  type Graph,
  type Node,
  type Tensor,
  type ValueInfo,
} from '@metacompress/ir';

/** A graph made ready to run: constants folded, weights kept as named inputs. */
export interface PreparedGraph {
  /** Nodes to run, in order (constant subgraphs folded away). */
  nodes: readonly Node[];
  /** Non-float initializers and folded constants, by name. */
  constants: ReadonlyMap<string, Tensor>;
  /** The original float initializers (the weights), by name. */
  weights: ReadonlyMap<string, Tensor>;
  /** Graph inputs that must be fed (not backed by an initializer). */
  feeds: readonly ValueInfo[];
  /** Initializer-backed graph inputs a caller may override (IR ≥ 4). */
  overridable: ReadonlySet<string>;
  /** The folded graph, for analyses that want to see what runs. */
  folded: Graph;
}

/**
 * Folds a graph's constant subgraphs (`foldConstants`) while keeping every float initializer as
 * a named value: they are presented to folding as graph inputs, so nothing that reads a weight
 * is folded — weights stay where training and `toGraph()` can find them, and Identity/Reshape on
 * weights run at run time, differentiably. Shape arithmetic (Shape → Gather → Concat → Reshape)
 * still folds, because weight shapes are declared.
 *
 * @example
 * const { nodes, weights } = prepareGraph(graph);
 */
export function prepareGraph(graph: Graph, file?: string): PreparedGraph {
  const overridableInits = initializersOverridable(graph);
  const initNames = new Set(graph.initializers.map((t) => t.name));
  const weights = graph.initializers.filter((t) => isFloatType(t.dataType) && t.raw !== undefined);
  const weightNames = new Set(weights.map((t) => t.name));
  const input: Graph = {
    ...graph,
    model: { ...graph.model, irVersion: Math.max(graph.model.irVersion, 4) },
    initializers: graph.initializers.filter((t) => !weightNames.has(t.name)),
    inputs: [
      ...graph.inputs.filter((i) => !weightNames.has(i.name) && (overridableInits || !initNames.has(i.name))),
      ...weights.map((t): ValueInfo => ({
        name: t.name,
        type: { kind: 'tensor', elemType: t.dataType, shape: [...t.dims] },
      })),
    ],
  };
  const folded = foldConstants(input, file ? { file } : {});
  const constants = new Map(folded.initializers.map((t) => [t.name, t]));
  return {
    nodes: folded.nodes,
    constants,
    weights: new Map(weights.map((t) => [t.name, t])),
    feeds: graph.inputs.filter((i) => !initNames.has(i.name)),
    overridable: new Set(
      overridableInits ? graph.inputs.filter((i) => initNames.has(i.name)).map((i) => i.name) : [],
    ),
    folded: {
      ...folded,
      model: graph.model,
      inputs: graph.inputs,
      initializers: [...weights, ...folded.initializers],
    },
  };
}
