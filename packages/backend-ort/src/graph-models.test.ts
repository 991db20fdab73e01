import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, isMetacompressError } from '@metacompress/core';
import { DataType, type Graph } from '@metacompress/ir';
import { createOrtNodeBackend, createOrtWebBackend, type OrtBackend } from './ort-backend';
import { arrayDataset, maxAbsDiff, mnistTest } from './test-helpers';
import { lenetGraph, mlpGraph } from './test-graphs';

const sizes = { inputs: 6, hidden: 5, classes: 4 };

/** Reference forward pass of mlpGraph in float64. */
function reference(x: Float32Array, n: number, w: ReturnType<typeof mlpGraph>) {
  const pre = new Float64Array(n * sizes.hidden);
  const logits = new Float64Array(n * sizes.classes);
  for (let r = 0; r < n; r++) {
    for (let h = 0; h < sizes.hidden; h++) {
      let s = w.b1[h];
      for (let i = 0; i < sizes.inputs; i++) s += x[r * sizes.inputs + i] * w.w1[i * sizes.hidden + h];
      pre[r * sizes.hidden + h] = s;
    }
    for (let c = 0; c < sizes.classes; c++) {
      let s = 0;
      for (let h = 0; h < sizes.hidden; h++) s += Math.max(0, pre[r * sizes.hidden + h]) * w.w2[h * sizes.classes + c];
      logits[r * sizes.classes + c] = s;
    }
  }
  return { pre, hidden: pre.map((v) => Math.max(0, v)), logits };
}

function randomInputs(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * sizes.inputs }, () => rng.normal());
}

function argmaxRows(values: ArrayLike<number>, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c] > values[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

let web: OrtBackend;
beforeAll(async () => {
  web = await createOrtWebBackend();
});
afterAll(() => web.dispose());

describe('IR graphs', () => {
  it('runs a graph and returns untyped intermediates and initializers on request', async () => {
    const mlp = mlpGraph(1, sizes);
    const n = 5;
    const x = randomInputs(n, 2);
    const ref = reference(x, n, mlp);
    const out = await web.run(mlp.graph, { x: { dims: [n, sizes.inputs], data: x } }, { outputs: ['logits', 'pre', 'hidden', 'w1'] });
    expect(out.logits.dims).toEqual([n, sizes.classes]);
    expect(maxAbsDiff(out.logits.data as Float32Array, ref.logits)).toBeLessThan(1e-5);
    expect(out.pre.dims).toEqual([n, sizes.hidden]);
    expect(maxAbsDiff(out.pre.data as Float32Array, ref.pre)).toBeLessThan(1e-5);
    expect(maxAbsDiff(out.hidden.data as Float32Array, ref.hidden)).toBeLessThan(1e-5);
    expect(maxAbsDiff(out.w1.data as Float32Array, mlp.w1)).toBe(0);
    // The caller's graph is not modified by the probe.
    expect(mlp.graph.outputs.map((o) => o.name)).toEqual(['logits']);
  });

  it('names an unknown value of a graph with MC_INVALID_ARGUMENT', async () => {
    const mlp = mlpGraph(1, sizes);
    const error = await rejection(web.run(mlp.graph, { x: { dims: [1, 6], data: new Float32Array(6) } }, { outputs: ['ghost'] }));
    expect(isMetacompressError(error, 'MC_INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain("'ghost'");
    expect((error as Error).message).toContain("backend 'ort-web'");
  });

  it('evaluates a model with a fixed batch dim by padding the last batch', async () => {
    const mlp = mlpGraph(3, sizes, 3);
    const n = 10;
    const x = randomInputs(n, 4);
    const labels = argmaxRows(reference(x, n, mlp).logits, n, sizes.classes);
    const progress: number[] = [];
    const result = await web.evaluate(mlp.graph, arrayDataset('fixed', x, labels, [sizes.inputs], sizes.classes), {
      batchSize: 64,
      onProgress: (done) => progress.push(done),
    });
    expect(result.accuracy).toBe(1);
    expect(result.samples).toBe(n);
    expect(progress).toEqual([3, 6, 9, 10]);
    expect(isMetacompressError(await rejection(web.latency(mlp.graph, { batchSize: 64, runs: 1 })), 'MC_SHAPE_MISMATCH')).toBe(true);
    expect((await web.latency(mlp.graph, { batchSize: 3, warmup: 0, runs: 2 })).runs).toBe(2);
  });

  it('computes the same cross-entropy from probabilities as from logits', async () => {
    const mlp = mlpGraph(5, sizes);
    const softmax: Graph = {
      ...mlp.graph,
      nodes: [
        ...mlp.graph.nodes.map((node) => (node.outputs[0] === 'logits' ? { ...node, outputs: ['scores'] } : node)),
        { name: 'softmax', opType: 'Softmax', domain: '', inputs: ['scores'], outputs: ['probs'], attributes: { axis: { type: 'int', value: -1 } } },
      ],
      outputs: [{ name: 'probs', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', sizes.classes] } }],
    };
    const n = 40;
    const x = randomInputs(n, 6);
    const labels = Int32Array.from({ length: n }, (_, i) => i % sizes.classes);
    const data = arrayDataset('mixed', x, labels, [sizes.inputs], sizes.classes);
    const fromLogits = await web.evaluate(mlp.graph, data, { batchSize: 16 });
    const fromProbs = await web.evaluate(softmax, data, { batchSize: 16 });
    expect(fromProbs.accuracy).toBe(fromLogits.accuracy);
    expect(fromProbs.loss!).toBeCloseTo(fromLogits.loss!, 4);
    expect(fromLogits.loss!).toBeGreaterThan(0);
  });

  it('runs a LeNet-5 graph identically on onnxruntime-web and onnxruntime-node', async () => {
    const graph = lenetGraph(7);
    const node = await createOrtNodeBackend();
    const { images } = mnistTest(16);
    const feed = { input: { dims: [16, 1, 28, 28], data: images } };
    const a = await web.run(graph, feed, { outputs: ['logits', 'flat'] });
    const b = await node.run(graph, feed, { outputs: ['logits', 'flat'] });
    expect(a.flat.dims).toEqual([16, 400]);
    expect(maxAbsDiff(a.logits.data as Float32Array, b.logits.data as Float32Array)).toBeLessThan(1e-4);
    expect(maxAbsDiff(a.flat.data as Float32Array, b.flat.data as Float32Array)).toBeLessThan(1e-4);
    await node.dispose();
  });
});
