// Test helpers (not published: `files` excludes src/**/test-*.ts): a tiny MLP graph, a toy
// trainable-model factory that runs Gemm/Relu graphs directly on tfjs, and a synthetic dataset.
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset, LabeledBatch } from '@metacompress/core';
import { createRng } from '@metacompress/core';
import { DataType, createTensor, toFloat32, type Graph, type Node } from '@metacompress/ir';
import type { ModelFactory, TrainableModel } from './finetune/trainable-model';
import { fakeQuantize } from './qat/fake-quant';

/** An MLP `in → hidden… → classes` (Gemm with transB=1, Relu between), seeded weights. */
export function mlpGraph(widths: readonly number[], seed: number, name = 'mlp'): Graph {
  const rng = createRng(seed);
  const nodes: Node[] = [];
  const initializers = [];
  let prev = 'input';
  for (let i = 0; i + 1 < widths.length; i++) {
    const [fanIn, fanOut] = [widths[i]!, widths[i + 1]!];
    const w = Array.from({ length: fanIn * fanOut }, () => rng.normal() * Math.sqrt(2 / fanIn));
    initializers.push(createTensor(`fc${i}.weight`, DataType.FLOAT, [fanOut, fanIn], w));
    initializers.push(createTensor(`fc${i}.bias`, DataType.FLOAT, [fanOut], new Float32Array(fanOut)));
    const last = i + 2 === widths.length;
    const out = last ? 'logits' : `fc${i}_out`;
    nodes.push({
      name: `fc${i}`,
      opType: 'Gemm',
      domain: '',
      inputs: [prev, `fc${i}.weight`, `fc${i}.bias`],
      outputs: [out],
      attributes: { transB: { type: 'int', value: 1 } },
    });
    prev = out;
    if (!last) {
      nodes.push({
        name: `relu${i}`,
        opType: 'Relu',
        domain: '',
        inputs: [out],
        outputs: [`relu${i}_out`],
        attributes: {},
      });
      prev = `relu${i}_out`;
    }
  }
  return {
    name,
    nodes,
    inputs: [{ name: 'input', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', widths[0]!] } }],
    outputs: [
      {
        name: 'logits',
        type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', widths[widths.length - 1]!] },
      },
    ],
    valueInfo: [],
    initializers,
    model: { irVersion: 8, opsetImports: [{ domain: '', version: 13 }], metadataProps: [] },
  };
}

let variableCount = 0;

/** Runs Gemm/Relu graphs on tfjs with every float initializer as a variable. */
export const toyModelFactory: ModelFactory = async (graph, options) => {
  const trainable = options.trainable ?? (() => true);
  const vars = new Map<string, tf.Variable>();
  for (const t of graph.initializers) {
    vars.set(
      t.name,
      tf.variable(
        tf.tensor(toFloat32(t), [...t.dims]),
        options.role === 'student' && trainable(t.name),
        `toy_${variableCount++}`,
      ),
    );
  }
  const quant = new Map((options.fakeQuant ?? []).map((s) => [s.target, s]));
  const model: TrainableModel = {
    params:
      options.role === 'student'
        ? graph.initializers
            .filter((t) => trainable(t.name))
            .map((t) => ({ name: t.name, variable: vars.get(t.name)! }))
        : [],
    forward(inputs, { outputs = [] }) {
      const env = new Map<string, tf.Tensor>([['input', inputs]]);
      const read = (name: string): tf.Tensor => {
        const v = vars.get(name);
        if (v) return quant.has(name) ? fakeQuantize(v, quant.get(name)!) : v;
        return env.get(name)!;
      };
      for (const n of graph.nodes) {
        let y: tf.Tensor;
        if (n.opType === 'Gemm')
          y = tf.add(tf.matMul(read(n.inputs[0]!), read(n.inputs[1]!), false, true), read(n.inputs[2]!));
        else if (n.opType === 'Relu') y = tf.relu(read(n.inputs[0]!));
        else throw new Error(`toy model: no ${n.opType}`);
        env.set(n.outputs[0]!, quant.has(n.outputs[0]!) ? fakeQuantize(y, quant.get(n.outputs[0]!)!) : y);
      }
      return {
        logits: env.get(graph.outputs[0]!.name)!,
        values: Object.fromEntries(outputs.map((o) => [o, env.get(o)!])),
      };
    },
    toGraph() {
      const initializers = graph.initializers.map((t) =>
        createTensor(t.name, DataType.FLOAT, t.dims, vars.get(t.name)!.dataSync() as Float32Array),
      );
      return { ...graph, initializers };
    },
    dispose() {
      for (const v of vars.values()) v.dispose();
    },
  };
  return model;
};

/** Gaussian blobs in `dims` dimensions, one per class, seeded; deterministic shuffles. */
export function blobs(
  n: number,
  dims: number,
  classes: number,
  seed: number,
  name = 'blobs',
  sampleSeed = 0,
): Dataset {
  const centerRng = createRng(seed);
  const centers = Array.from({ length: classes }, () =>
    Array.from({ length: dims }, () => centerRng.normal() * 1.2),
  );
  const rng = createRng(seed).fork(sampleSeed);
  const x = new Float32Array(n * dims);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let d = 0; d < dims; d++) x[i * dims + d] = centers[y[i]!]![d]! + rng.normal();
  }
  return {
    name,
    length: n,
    sampleShape: [dims],
    numClasses: classes,
    *batches(batchSize, options = {}) {
      const order = Array.from({ length: Math.min(n, options.limit ?? n) }, (_, i) => i);
      if (options.shuffleSeed !== undefined) createRng(options.shuffleSeed).shuffle(order);
      for (let s = 0; s < order.length; s += batchSize) {
        const idx = order.slice(s, s + batchSize);
        if (options.dropLast && idx.length < batchSize) break;
        const data = new Float32Array(idx.length * dims);
        idx.forEach((k, j) => data.set(x.subarray(k * dims, (k + 1) * dims), j * dims));
        const batch: LabeledBatch = {
          inputs: { dims: [idx.length, dims], data },
          labels: Int32Array.from(idx.map((k) => y[k]!)),
        };
        yield batch;
      }
    },
  };
}

/** Float32 weights of a graph by initializer name. */
export function weightsOf(graph: Graph): Record<string, number[]> {
  return Object.fromEntries(graph.initializers.map((t) => [t.name, Array.from(toFloat32(t))]));
}
