import type { GraphBody } from '../graph';

/** Hands out value/initializer/node names not yet used in a graph. */
export class NameAllocator {
  private readonly used = new Set<string>();

  constructor(graph: GraphBody) {
    for (const t of graph.initializers) this.used.add(t.name);
    for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) this.used.add(v.name);
    for (const n of graph.nodes) {
      if (n.name) this.used.add(n.name);
      for (const o of n.outputs) if (o) this.used.add(o);
      for (const i of n.inputs) if (i) this.used.add(i);
    }
  }

  /** `base` if free, else `base_2`, `base_3`, …; the name is then taken. */
  allocate(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}
