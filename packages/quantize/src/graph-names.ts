import type { Attribute, GraphBody, Node } from '@metacompress/ir';

/**
 * Hands out value, initializer and node names a graph does not use yet.
 *
 * @example
 * const names = new Names(graph);
 * names.take('conv1.weight_scale'); // 'conv1.weight_scale' or 'conv1.weight_scale_2', …
 */
export class Names {
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

  private stems = 0;

  /**
   * A short stem for names derived from `name` (`name_s`, `name_q`, …): the name itself when it
   * has at most 24 characters, else `prefix` and a counter (exporters' value names such as
   * `/layers/layers.2/downsample/downsample.0/Conv_output_0` would otherwise be repeated in every
   * derived name and weigh on the file size).
   */
  stem(name: string, prefix: string): string {
    if (name.length <= 24) return name;
    let s: string;
    do s = `${prefix}${this.stems++}`;
    while (this.used.has(s));
    return s;
  }

  /** `base` when free, else `base_2`, `base_3`, …; the name is then taken. */
  take(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }
}

/**
 * A default-domain node (helper for graph construction).
 *
 * @example
 * op('Cast', 'w_cast', ['w_q'], ['w_f'], { to: int(1) });
 */
export function op(
  opType: string,
  name: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Record<string, Attribute> = {},
  domain = '',
): Node {
  return { name, opType, domain, inputs: [...inputs], outputs: [...outputs], attributes };
}

/**
 * An int attribute.
 *
 * @example
 * int(1); // { type: 'int', value: 1 }
 */
export const int = (value: number): Attribute => ({ type: 'int', value });

/**
 * A string attribute.
 *
 * @example
 * str('RIGHT'); // { type: 'string', value: 'RIGHT' }
 */
export const str = (value: string): Attribute => ({ type: 'string', value });
