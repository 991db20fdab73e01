import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Graph, Node } from '@metacompress/ir';
import { checkFakeQuantSpec, type FakeQuantSpec } from './fake-quant';

/**
 * Domain and op type of the fake-quant nodes that {@link withFakeQuantNodes} inserts.
 *
 * @example
 * graph.nodes.some((n) => n.domain === FAKE_QUANT_DOMAIN && n.opType === FAKE_QUANT_OP);
 */
export const FAKE_QUANT_DOMAIN = 'ai.metacompress.distill';
/**
 * Op type of the inserted fake-quant nodes (in {@link FAKE_QUANT_DOMAIN}).
 *
 * @example
 * withFakeQuantNodes(graph, ['relu1']).graph.nodes.filter((n) => n.opType === FAKE_QUANT_OP);
 */
export const FAKE_QUANT_OP = 'FakeQuant';

/**
 * Splits fake-quant specs into weight specs (targets that are initializers) and activation specs
 * (targets that a node computes, or graph inputs); unknown targets throw `MC_INVALID_ARGUMENT`.
 *
 * @example
 * const { weights, activations } = splitFakeQuant(graph, specs);
 */
export function splitFakeQuant(
  graph: Graph,
  specs: readonly FakeQuantSpec[],
): { weights: Map<string, FakeQuantSpec>; activations: Map<string, FakeQuantSpec> } {
  const initializers = new Set(graph.initializers.map((t) => t.name));
  const values = new Set([...graph.nodes.flatMap((n) => n.outputs), ...graph.inputs.map((i) => i.name)]);
  const weights = new Map<string, FakeQuantSpec>();
  const activations = new Map<string, FakeQuantSpec>();
  specs.forEach((spec, i) => {
    checkFakeQuantSpec(spec);
    const into = initializers.has(spec.target) ? weights : values.has(spec.target) ? activations : undefined;
    if (!into) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `'${spec.target}' is neither an initializer nor a value of the graph`,
        {
          field: `fakeQuant[${i}].target`,
        },
      );
    }
    if (into.has(spec.target)) {
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `'${spec.target}' is fake-quantized twice`, {
        field: `fakeQuant[${i}].target`,
      });
    }
    into.set(spec.target, spec);
  });
  return { weights, activations };
}

/**
 * The graph with a fake-quant node after every activation target: its readers read the
 * fake-quantized value `<target>__fq` instead (graph outputs stay as they are). Only for training:
 * the nodes are in a private domain that the executor runs through a handler.
 *
 * @example
 * const training = withFakeQuantNodes(graph, ['relu1_out']);
 */
export function withFakeQuantNodes(
  graph: Graph,
  targets: readonly string[],
): { graph: Graph; nodes: Map<string, string> } {
  if (targets.length === 0) return { graph, nodes: new Map() };
  const renamed = new Map(targets.map((t) => [t, `${t}__fq`]));
  const nodeOf = new Map<string, string>();
  const inserted = (t: string): Node => {
    const name = `${t}__fake_quant`;
    nodeOf.set(name, t);
    return {
      name,
      opType: FAKE_QUANT_OP,
      domain: FAKE_QUANT_DOMAIN,
      inputs: [t],
      outputs: [renamed.get(t)!],
      attributes: {},
    };
  };
  const nodes: Node[] = [];
  for (const t of targets) if (graph.inputs.some((i) => i.name === t)) nodes.push(inserted(t));
  for (const n of graph.nodes) {
    nodes.push({ ...n, inputs: n.inputs.map((i) => renamed.get(i) ?? i) });
    for (const o of n.outputs) if (renamed.has(o)) nodes.push(inserted(o));
  }
  const opsetImports = [
    ...graph.model.opsetImports.filter((o) => o.domain !== FAKE_QUANT_DOMAIN),
    { domain: FAKE_QUANT_DOMAIN, version: 1 },
  ];
  return { graph: { ...graph, nodes, model: { ...graph.model, opsetImports } }, nodes: nodeOf };
}
