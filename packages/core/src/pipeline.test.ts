import { describe, expect, it } from 'vitest';
import { defineOperator, isOperator } from './operator';
import { option } from './options';
import { compress } from './pipeline';
import { identityPolicy } from './policy';

interface ToyGraph {
  nodes: { name: string; width: number }[];
  weights: Float32Array;
}

const halve = defineOperator<ToyGraph, { factor: ReturnType<typeof option.number> }>({
  name: 'halve',
  options: { factor: option.number('divide widths by this', 2, { min: 1 }) },
  apply: (graph, _policy, _ctx, { factor }) => ({
    graph: { ...graph, nodes: graph.nodes.map((n) => ({ ...n, width: n.width / factor })) },
    report: { factor },
  }),
});

const mutating = defineOperator<ToyGraph>({
  name: 'bad-mutator',
  apply: (graph) => {
    graph.nodes[0].width = 0;
    return graph;
  },
});

const failing = defineOperator<ToyGraph>({ name: 'boom', apply: () => { throw new Error('kaput'); } });

const input = (): ToyGraph => ({ nodes: [{ name: 'a', width: 8 }], weights: new Float32Array([1, 2]) });

describe('compress', () => {
  it('applies operators in order with their options and never touches the input', async () => {
    const graph = input();
    const result = await compress(graph, [halve, [halve, { factor: 4 }]], { policy: identityPolicy() });
    expect(result.graph.nodes[0].width).toBe(1);
    expect(result.steps.map((s) => s.report)).toEqual([{ factor: 2 }, { factor: 4 }]);
    expect(graph.nodes[0].width).toBe(8);
    expect(Object.isFrozen(graph)).toBe(false);
  });

  it('turns an operator that mutates its input into a typed error naming it', async () => {
    const graph = input();
    await expect(compress(graph, [mutating], { policy: identityPolicy() })).rejects.toMatchObject({
      code: 'MC_OPERATOR_MUTATED_INPUT',
      details: { operator: 'bad-mutator' },
    });
    expect(graph.nodes[0].width).toBe(8);
  });

  it('names the operator in errors and rejects bad options', async () => {
    await expect(compress(input(), [failing], { policy: identityPolicy() })).rejects.toThrow(/operator 'boom'/);
    await expect(compress(input(), [halve.with({ factor: 0 })], { policy: identityPolicy() })).rejects.toMatchObject({
      code: 'MC_INVALID_ARGUMENT',
      details: { field: 'halve.options.factor', operator: 'halve' },
    });
    await expect(compress(input(), [[halve, { nope: 1 }]], { policy: identityPolicy() })).rejects.toThrow(/unknown option 'nope'/);
  });

  it('recognizes operators and rejects names that are not kebab-case', () => {
    expect(isOperator(halve)).toBe(true);
    expect(isOperator({ name: 'x' })).toBe(false);
    expect(() => defineOperator({ name: 'Bad Name', apply: (g) => g })).toThrow(/kebab-case/);
  });
});
