import type { GraphBody, Node } from './graph';
import type { Tensor } from './tensor';

/**
 * Lookups over a graph built once: which node produces a value, which nodes consume it, and
 * the initializer of a name.
 *
 * @example
 * const index = indexGraph(graph);
 * index.producer.get('conv1_out')?.opType; // 'Conv'
 * index.consumers.get('conv1_out')?.map((n) => n.opType); // ['Relu']
 */
export interface GraphIndex {
  producer: Map<string, Node>;
  consumers: Map<string, Node[]>;
  initializer: Map<string, Tensor>;
  /** Position of each node in `graph.nodes`. */
  position: Map<Node, number>;
  /** Names of graph outputs. */
  outputs: Set<string>;
}

/** Builds a {@link GraphIndex}. */
export function indexGraph(graph: GraphBody): GraphIndex {
  const producer = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  const position = new Map<Node, number>();
  graph.nodes.forEach((node, i) => {
    position.set(node, i);
    for (const out of node.outputs) if (out) producer.set(out, node);
    for (const input of node.inputs) {
      if (!input) continue;
      const list = consumers.get(input);
      if (list) {
        if (!list.includes(node)) list.push(node);
      } else consumers.set(input, [node]);
    }
  });
  const initializer = new Map(graph.initializers.map((t) => [t.name, t]));
  return { producer, consumers, initializer, position, outputs: new Set(graph.outputs.map((o) => o.name)) };
}

/**
 * A name for a node in messages: its name, or `#index (OpType)` when it has none.
 *
 * @example
 * nodeLabel(node, 3); // 'conv1' or '#3 (Conv)'
 */
export function nodeLabel(node: Node, index?: number): string {
  return node.name || `#${index ?? '?'} (${node.opType})`;
}
