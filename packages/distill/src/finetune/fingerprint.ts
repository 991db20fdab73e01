import { createHash } from 'node:crypto';
import type { Graph } from '@metacompress/ir';

/**
 * A SHA-256 over a graph's structure (nodes, their inputs/outputs and attributes' types, the
 * names and shapes of initializers) and, with `weights`, over the initializer bytes too. Used to
 * check that a checkpoint belongs to the job being resumed.
 *
 * @example
 * graphFingerprint(student) === graphFingerprint(structuredClone(student)); // true
 */
export function graphFingerprint(graph: Graph, options: { weights?: boolean } = {}): string {
  const hash = createHash('sha256');
  for (const n of graph.nodes) {
    hash.update(
      `${n.opType}|${n.domain}|${n.name}|${n.inputs.join(',')}|${n.outputs.join(',')}|${Object.keys(n.attributes).sort().join(',')}\n`,
    );
  }
  hash.update(
    `in:${graph.inputs.map((i) => i.name).join(',')};out:${graph.outputs.map((o) => o.name).join(',')}\n`,
  );
  for (const t of graph.initializers) {
    hash.update(`${t.name}|${t.dataType}|${t.dims.join('x')}\n`);
    if (options.weights && t.raw) hash.update(t.raw);
  }
  return hash.digest('hex');
}
