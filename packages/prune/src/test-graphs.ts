/**
 * Test-only: small hand-built graphs with seeded weights and a way to plant an unimportant
 * channel. Not part of the package (excluded from `files`).
 */
import { resolve } from 'node:path';
import { createRng, type Dataset, type LabeledBatch, type Rng } from '@metacompress/core';
import {
  DataType,
  createTensor,
  type Attribute,
  type Graph,
  type Node,
  type Tensor,
  type ValueInfo,
} from '@metacompress/ir';

/** The committed fixture models. */
export const FIXTURES = resolve(import.meta.dirname, '../../../fixtures/models');

type AttrValue = number | readonly number[];

function attr(v: AttrValue): Attribute {
  if (Array.isArray(v)) return { type: 'ints', value: v as number[] };
  return Number.isInteger(v) ? { type: 'int', value: v as number } : { type: 'float', value: v as number };
}

/** A tiny fluent graph builder. */
export class Builder {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: Tensor[] = [];
  readonly rng: Rng;

  constructor(seed = 1) {
    this.rng = createRng(seed);
  }

  input(name: string, shape: (number | string)[]): string {
    this.inputs.push({ name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape } });
    return name;
  }

  init(name: string, dims: number[], values?: (i: number) => number): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => (values ? values(i) : this.rng.normal() * 0.5));
    this.initializers.push(createTensor(name, DataType.FLOAT, dims, data));
    return name;
  }

  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    name = `${opType.toLowerCase()}${this.nodes.length}`,
    output = `${name}_out`,
  ): string {
    this.nodes.push({
      name,
      opType,
      domain: '',
      inputs,
      outputs: [output],
      attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attr(v)])),
    });
    return output;
  }

  conv(x: string, cin: number, cout: number, name: string, k = 3): string {
    const w = this.init(`${name}.weight`, [cout, cin, k, k]);
    const b = this.init(`${name}.bias`, [cout], () => 0.01);
    const p = Math.floor(k / 2);
    return this.op('Conv', [x, w, b], { kernel_shape: [k, k], pads: [p, p, p, p] }, name);
  }

  bn(x: string, c: number, name: string): string {
    const ins = [
      this.init(`${name}.scale`, [c], () => 0.5 + this.rng.next()),
      this.init(`${name}.bias`, [c], () => 0.1 * this.rng.normal()),
      this.init(`${name}.mean`, [c], () => 0.1 * this.rng.normal()),
      this.init(`${name}.var`, [c], () => 0.5 + this.rng.next()),
    ];
    return this.op('BatchNormalization', [x, ...ins], { epsilon: 1e-5 }, name);
  }

  gemm(x: string, k: number, n: number, name: string, output?: string): string {
    const w = this.init(`${name}.weight`, [n, k]);
    const b = this.init(`${name}.bias`, [n], () => 0.01);
    return this.op('Gemm', [x, w, b], { transB: 1 }, name, output);
  }

  output(name: string, shape: (number | string)[]): void {
    this.outputs.push({ name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape } });
  }

  build(): Graph {
    return {
      name: 'test',
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: this.outputs,
      valueInfo: [],
      initializers: this.initializers,
      model: {
        irVersion: 8,
        opsetImports: [{ domain: '', version: 13 }],
        metadataProps: [],
        producerName: 'prune-test',
      },
    };
  }
}

/**
 * A residual CNN with BatchNorm: stem conv 3→8 + BN + ReLU; block conv `block.a` 8→12 + BN + ReLU,
 * conv `block.b` 12→8 + BN, add stem, ReLU; GAP, Flatten, Gemm 8→10. Input [N, 3, 6, 6].
 * Groups: `stem` (8 ch, with block.b through the residual add), `block.a` (12 ch), `fc` (unprunable).
 */
export function residualCnn(seed = 1): Graph {
  const g = new Builder(seed);
  const x = g.input('input', ['N', 3, 6, 6]);
  const stem = g.op('Relu', [g.bn(g.conv(x, 3, 8, 'stem'), 8, 'stem_bn')], {}, 'stem_relu');
  const a = g.op('Relu', [g.bn(g.conv(stem, 8, 12, 'block.a'), 12, 'block.a_bn')], {}, 'block.a_relu');
  const b = g.bn(g.conv(a, 12, 8, 'block.b'), 8, 'block.b_bn');
  const sum = g.op('Relu', [g.op('Add', [b, stem], {}, 'block.add')], {}, 'block.relu');
  const flat = g.op('Flatten', [g.op('GlobalAveragePool', [sum], {}, 'gap')], { axis: 1 }, 'flatten');
  g.gemm(flat, 8, 10, 'fc', 'logits');
  g.output('logits', ['N', 10]);
  return g.build();
}

/** MLP 16 → `hidden` → 4 (Gemm transB=1, ReLU). Groups: `fc1` (hidden ch), `fc2` (unprunable). */
export function mlp(hidden = 7, seed = 1, fc1?: (i: number) => number): Graph {
  const g = new Builder(seed);
  const x = g.input('input', ['N', 16]);
  const w = g.init('fc1.weight', [hidden, 16], fc1);
  const h = g.op(
    'Relu',
    [g.op('Gemm', [x, w, g.init('fc1.bias', [hidden], () => 0)], { transB: 1 }, 'fc1')],
    {},
    'relu1',
  );
  g.gemm(h, hidden, 4, 'fc2', 'logits');
  g.output('logits', ['N', 4]);
  return g.build();
}

/** A copy of `graph` with tensor `name` transformed element-wise, given the element's index along `axis`. */
export function scaleAlong(graph: Graph, name: string, axis: number, channel: number, factor: number): Graph {
  return {
    ...graph,
    initializers: graph.initializers.map((t) => {
      if (t.name !== name) return t;
      const v = new Float32Array(
        new Float32Array(t.raw!.buffer.slice(t.raw!.byteOffset, t.raw!.byteOffset + t.raw!.byteLength)),
      );
      let inner = 1;
      for (let i = axis + 1; i < t.dims.length; i++) inner *= t.dims[i];
      const d = t.dims[axis];
      for (let i = 0; i < v.length; i++) if (Math.floor(i / inner) % d === channel) v[i] *= factor;
      return createTensor(t.name, t.dataType, t.dims, v);
    }),
  };
}

/** `residualCnn` with channel `channel` of group `block.a` made unimportant: its filter, BN scale and consumer weights shrunk. */
export function plantedCnn(channel: number, factor = 0.01): Graph {
  let g = residualCnn();
  g = scaleAlong(g, 'block.a.weight', 0, channel, factor);
  g = scaleAlong(g, 'block.a_bn.scale', 0, channel, factor);
  g = scaleAlong(g, 'block.b.weight', 1, channel, factor);
  return g;
}

/** A labelled dataset of random inputs, for criteria and policies that need data. */
export function randomDataset(sampleShape: number[], numClasses: number, length = 64, seed = 3): Dataset {
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const rng = createRng(seed);
  const x = Float32Array.from({ length: length * per }, () => rng.normal());
  const y = Int32Array.from({ length }, () => rng.int(numClasses));
  return {
    name: 'random',
    length,
    sampleShape,
    numClasses,
    *batches(batchSize: number, options = {}): Iterable<LabeledBatch> {
      const limit = Math.min(length, options.limit ?? length);
      for (let start = 0; start < limit; start += batchSize) {
        const end = Math.min(limit, start + batchSize);
        yield {
          inputs: { dims: [end - start, ...sampleShape], data: x.slice(start * per, end * per) },
          labels: y.slice(start, end),
        };
      }
    },
  };
}
