import type { Dim, Graph, ValueInfo } from '../graph';
import { inferShapes } from '../shape/infer-shapes';
import { knownElements } from '../shape/value-shape';
import type { CouplingOptions } from './types';

/** What coupling analysis knows about values besides their channels. */
export interface KnownFacts {
  shapes: Map<string, readonly Dim[]>;
  /** Known contents of small integer values (e.g. a Reshape target computed from Shape). */
  elements: Map<string, readonly Dim[]>;
}

function declared(list: readonly ValueInfo[], out: Map<string, readonly Dim[]>): void {
  for (const v of list) {
    if (v.type?.kind === 'tensor' && v.type.shape) out.set(v.name, v.type.shape);
  }
}

/**
 * Shapes coupling analysis can rely on: those given in the options, else shape inference
 * (`inferShapes`), completed by the declared shapes of graph inputs, outputs and value_info. When
 * inference throws (inconsistent model), only declared shapes are used: rules then block what
 * they cannot prove.
 */
export function knownFacts(graph: Graph, options: CouplingOptions): KnownFacts {
  const shapes = new Map<string, readonly Dim[]>();
  const elements = new Map<string, readonly Dim[]>();
  declared(graph.valueInfo, shapes);
  declared(graph.outputs, shapes);
  declared(graph.inputs, shapes);
  let inferred:
    | ReadonlyMap<string, { shape?: readonly Dim[]; value?: readonly number[]; symbolic?: readonly Dim[] }>
    | undefined = options.shapes;
  if (!inferred) {
    try {
      inferred = inferShapes(graph, {
        inputShapes: options.inputShapes as Record<string, readonly Dim[]> | undefined,
        batchSize: options.batchSize,
      });
    } catch {
      inferred = undefined;
    }
  }
  if (inferred) {
    for (const [name, v] of inferred) {
      if (v.shape) shapes.set(name, v.shape);
      const known = knownElements(v as Parameters<typeof knownElements>[0]);
      if (known) elements.set(name, known);
    }
  }
  return { shapes, elements };
}
