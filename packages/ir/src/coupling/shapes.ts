import type { Dim, Graph, ValueInfo } from '../graph';
import type { CouplingOptions } from './types';

function declared(list: readonly ValueInfo[], out: Map<string, readonly Dim[]>): void {
  for (const v of list) {
    if (v.type?.kind === 'tensor' && v.type.shape) out.set(v.name, v.type.shape);
  }
}

/**
 * Shapes coupling analysis can rely on: those given in the options, else the declared shapes of
 * graph inputs, outputs and value_info.
 */
export function knownShapes(graph: Graph, options: CouplingOptions): Map<string, readonly Dim[]> {
  const out = new Map<string, readonly Dim[]>();
  declared(graph.valueInfo, out);
  declared(graph.outputs, out);
  declared(graph.inputs, out);
  if (options.shapes) {
    for (const [name, v] of options.shapes) if (v.shape) out.set(name, v.shape);
  }
  return out;
}
