import { describe, expect, it } from 'vitest';
import type { GraphBody, Node } from './graph';
import { matchesSelector, parseSelector, selectNodes } from './select';

const node = (name: string, opType: string, out = `${name}_out`): Node => ({ name, opType, domain: '', inputs: [], outputs: [out], attributes: {} });
const graph: GraphBody = {
  name: 'g',
  nodes: [node('conv1', 'Conv'), node('conv2', 'Conv'), node('relu', 'Relu'), node('fc', 'Gemm', 'logits')],
  inputs: [],
  outputs: [],
  valueInfo: [],
  initializers: [],
};

describe('selectors', () => {
  it('selects by op type and name globs and protects excluded nodes', () => {
    expect(selectNodes(graph, { opTypes: ['Conv', 'Gemm'] }).map((n) => n.name)).toEqual(['conv1', 'conv2', 'fc']);
    expect(selectNodes(graph, { names: ['conv*'] }).map((n) => n.name)).toEqual(['conv1', 'conv2']);
    expect(selectNodes(graph, { opTypes: ['Conv', 'Gemm'], exclude: { names: ['logits'] } }).map((n) => n.name)).toEqual(['conv1', 'conv2']);
    expect(matchesSelector(graph.nodes[0], { exclude: { opTypes: ['Conv'] } })).toBe(false);
    expect(selectNodes(graph).length).toBe(4);
  });

  it('parses config selectors and names bad fields', () => {
    expect(parseSelector({ opTypes: 'Conv,Gemm', exclude: { names: ['fc'] } })).toEqual({ opTypes: ['Conv', 'Gemm'], exclude: { names: ['fc'] } });
    expect(() => parseSelector({ opType: ['Conv'] }, 'prune.selector')).toThrow(/prune\.selector\.opType/);
    expect(() => parseSelector({ names: [1] })).toThrow(/selector\.names/);
  });
});
