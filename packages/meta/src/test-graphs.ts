/**
 * Test-only helpers: small hand-built graphs with seeded weights, a tiny dataset and a plain
 * JavaScript evaluator for Gemm/ReLU MLPs. Not published (`files` excludes `src/**\/test-*.ts`).
 */
import { resolve } from 'node:path';
import {
  createRng,
  type Dataset,
  type EvaluationResult,
  type InferenceBackend,
  type LabeledBatch,
  type Rng,
} from '@metacompress/core';
import {
  DataType,
  createTensor,
  toFloat32,
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
  ): string {
    const output = `${name}_out`;
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

  conv(
    x: string,
    cin: number,
    cout: number,
    name: string,
    o: { k?: number; stride?: number; group?: number; weight?: (i: number) => number } = {},
  ): string {
    const k = o.k ?? 3;
    const group = o.group ?? 1;
    const w = this.init(`${name}.weight`, [cout, cin / group, k, k], o.weight);
    const b = this.init(`${name}.bias`, [cout], () => 0.01);
    const p = Math.floor(k / 2);
    const s = o.stride ?? 1;
    return this.op(
      'Conv',
      [x, w, b],
      { kernel_shape: [k, k], pads: [p, p, p, p], strides: [s, s], group },
      name,
    );
  }

  bn(x: string, c: number, name: string, scale?: (i: number) => number): string {
    const ins = [
      this.init(`${name}.scale`, [c], scale ?? (() => 0.5 + this.rng.next())),
      this.init(`${name}.bias`, [c], () => 0.1 * this.rng.normal()),
      this.init(`${name}.mean`, [c], () => 0.1 * this.rng.normal()),
      this.init(`${name}.var`, [c], () => 0.5 + this.rng.next()),
    ];
    return this.op('BatchNormalization', [x, ...ins], { epsilon: 1e-5 }, name);
  }

  gemm(x: string, k: number, n: number, name: string, weight?: (i: number) => number): string {
    const w = this.init(`${name}.weight`, [n, k], weight);
    const b = this.init(`${name}.bias`, [n], () => 0.01);
    return this.op('Gemm', [x, w, b], { transB: 1 }, name);
  }

  relu(x: string, name: string): string {
    return this.op('Relu', [x], {}, name);
  }

  output(value: string, shape: (number | string)[]): void {
    this.outputs.push({ name: value, type: { kind: 'tensor', elemType: DataType.FLOAT, shape } });
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
        producerName: 'meta-test',
      },
    } as Graph;
  }
}

/** Options of {@link blockNet}. */
export interface BlockNetOptions {
  seed?: number;
  /** Values of `c1.weight` (8 × 3 × 3 × 3) by element index. */
  c1Weight?: (i: number) => number;
  /** BN scale γ of `bn1` by channel. */
  bn1Scale?: (i: number) => number;
}

/**
 * A small CNN with every feature the featurizer looks at. Input [N, 3, 8, 8]:
 * `c1` conv 3→8 k3 + `bn1` + ReLU, `dw` depthwise 8 k3 stride 2 + ReLU (same group as c1),
 * `c2` conv 8→16 k1 + ReLU (= h), `c3` conv 16→16 k3, `add` h + c3 (c2 and c3 coupled: residual),
 * ReLU, GlobalAveragePool, Flatten, `fc` Gemm 16→4 (the classifier; its group is unprunable).
 * Prunable groups: `c1` (8 ch, producers c1 + dw), `c2` (16 ch, producers c2 and c3).
 */
export function blockNet(options: BlockNetOptions = {}): Graph {
  const g = new Builder(options.seed ?? 1);
  const x = g.input('input', ['N', 3, 8, 8]);
  const a = g.relu(
    g.bn(g.conv(x, 3, 8, 'c1', { weight: options.c1Weight }), 8, 'bn1', options.bn1Scale),
    'r1',
  );
  const d = g.relu(g.conv(a, 8, 8, 'dw', { group: 8, stride: 2 }), 'r2');
  const h = g.relu(g.conv(d, 8, 16, 'c2', { k: 1 }), 'r3');
  const c3 = g.conv(h, 16, 16, 'c3');
  const s = g.relu(g.op('Add', [h, c3], {}, 'add'), 'r4');
  const flat = g.op('Flatten', [g.op('GlobalAveragePool', [s], {}, 'gap')], { axis: 1 }, 'flatten');
  const logits = g.gemm(flat, 16, 4, 'fc');
  g.output(logits, ['N', 4]);
  return g.build();
}

/**
 * MLP 6 → 8 (`fc1`) → 8 (`fc2`) → 3 (`fc3`), ReLU. Channels 0–3 of `fc1` have zero incoming and
 * outgoing weights (so removing them changes nothing); `fc2` is dense.
 */
export function plantedMlp(seed = 2): Graph {
  const g = new Builder(seed);
  const rng = createRng(seed + 10);
  const x = g.input('input', ['N', 6]);
  const h1 = g.relu(
    g.gemm(x, 6, 8, 'fc1', (i) => (Math.floor(i / 6) < 4 ? 0 : rng.normal())),
    'r1',
  );
  const h2 = g.relu(
    g.gemm(h1, 8, 8, 'fc2', (i) => (i % 8 < 4 ? 0 : rng.normal())),
    'r2',
  );
  g.output(
    g.gemm(h2, 8, 3, 'fc3', () => rng.normal()),
    ['N', 3],
  );
  const graph = g.build();
  // fc1's bias must also be zero on the dead channels, or ReLU(bias) still feeds fc2.
  return {
    ...graph,
    initializers: graph.initializers.map((t) =>
      t.name === 'fc1.bias'
        ? createTensor(
            t.name,
            t.dataType,
            t.dims,
            Float32Array.from({ length: 8 }, (_, j) => (j < 4 ? 0 : 0.1)),
          )
        : t,
    ),
  };
}

/** A labelled dataset of seeded normal inputs. */
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

/** Runs a graph of Gemm (transB = 1) and Relu nodes on one sample, in float64. */
export function mlpForward(graph: Graph, input: ArrayLike<number>): Float64Array {
  const weights = new Map(graph.initializers.map((t) => [t.name, { dims: t.dims, v: toFloat32(t) }]));
  const values = new Map<string, Float64Array>([[graph.inputs[0].name, Float64Array.from(input)]]);
  for (const node of graph.nodes) {
    const x = values.get(node.inputs[0])!;
    if (node.opType === 'Relu')
      values.set(
        node.outputs[0],
        x.map((v) => Math.max(0, v)),
      );
    else if (node.opType === 'Gemm') {
      const w = weights.get(node.inputs[1])!;
      const b = weights.get(node.inputs[2])!.v;
      const [out, k] = w.dims;
      const y = new Float64Array(out);
      for (let o = 0; o < out; o++) {
        let acc = b[o];
        for (let i = 0; i < k; i++) acc += w.v[o * k + i] * x[i];
        y[o] = acc;
      }
      values.set(node.outputs[0], y);
    } else throw new Error(`mlpForward: unsupported op ${node.opType}`);
  }
  return values.get(graph.outputs[0].name)!;
}

/** `data` with every label replaced by the class `graph` predicts (so a good model has low loss). */
export function labelledBy(graph: Graph, data: Dataset): Dataset {
  return {
    ...data,
    name: `${data.name}/labelled`,
    sampleShape: data.sampleShape,
    length: data.length,
    numClasses: data.numClasses,
    *batches(batchSize, options) {
      for (const b of data.batches(batchSize, options)) {
        const n = b.labels.length;
        const per = b.inputs.data.length / n;
        const labels = Int32Array.from({ length: n }, (_, s) => {
          const z = mlpForward(graph, b.inputs.data.subarray(s * per, (s + 1) * per));
          return z.indexOf(Math.max(...z));
        });
        yield { inputs: b.inputs, labels };
      }
    },
  };
}

/**
 * An `evaluate`-only backend for graphs of Gemm (transB = 1) and Relu nodes, in plain JavaScript
 * ({@link mlpForward}): mean cross-entropy and accuracy of the first output. Records the graphs it saw.
 */
export function mlpEvaluator(): Pick<InferenceBackend<Graph>, 'evaluate'> & { seen: Graph[] } {
  const seen: Graph[] = [];
  return {
    seen,
    async evaluate(graph, data, options = {}): Promise<EvaluationResult> {
      seen.push(graph);
      let loss = 0;
      let correct = 0;
      let samples = 0;
      for (const batch of data.batches(options.batchSize ?? 32, { limit: options.limit })) {
        const n = batch.labels.length;
        const per = batch.inputs.data.length / n;
        for (let s = 0; s < n; s++) {
          const z = mlpForward(graph, batch.inputs.data.subarray(s * per, (s + 1) * per));
          const max = Math.max(...z);
          const lse = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
          const label = batch.labels[s];
          loss += lse - z[label];
          if (z.indexOf(max) === label) correct++;
          samples++;
        }
      }
      return { accuracy: correct / samples, loss: loss / samples, samples };
    },
  };
}
