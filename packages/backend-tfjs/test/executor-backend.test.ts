// Core's DifferentiableBackend on the executor (weightGradients, evaluate, engine), reading weights
// back (toGraph, readWeight, params), errors and memory hygiene.
import { describe, expect, it } from 'vitest';
import {
  BackendRegistry,
  backends,
  isMetacompressError,
  type Dataset,
  type LabeledBatch,
} from '@metacompress/core';
import { DataType, isFloatType, toFloat32, withFloat32, type Graph } from '@metacompress/ir';
import { loadMnist } from '@metacompress/tasks';
import {
  buildExecutor,
  crossEntropy,
  irGraphExecutor,
  layoutOf,
  registerTfjsBackends,
  registerTfjsOp,
  tensorValue,
  weightGradients,
  type TfjsDifferentiableBackend,
} from '../src/base';
import { a, compareWithOrt, feed, fixture, graphOf, node, ortWeb, tfjs, weight } from './executor-helpers';

async function batches(n: number, count: number): Promise<LabeledBatch[]> {
  return [...(await loadMnist({ split: 'test' })).batches(n, { limit: n * count })];
}

/** Mean cross-entropy of a graph on a batch, through a fresh executor. */
async function lossOf(graph: Graph, batch: LabeledBatch): Promise<number> {
  const { tf } = await tfjs();
  const exec = buildExecutor(graph, { tf });
  try {
    return tf.tidy(
      () =>
        crossEntropy(
          tf,
          exec.predict(tf.tensor(batch.inputs.data, [...batch.inputs.dims])),
          tf.tensor1d(batch.labels, 'int32'),
        ).dataSync()[0]!,
    );
  } finally {
    exec.dispose();
  }
}

/** MNIST as `[784]` vectors (for the MLP). */
function flatMnist(data: Dataset): Dataset {
  return {
    name: data.name,
    length: data.length,
    numClasses: data.numClasses,
    sampleShape: [784],
    batches: (n, o) =>
      [...data.batches(n, o)].map((b) => ({
        ...b,
        inputs: { dims: [b.labels.length, 784], data: b.inputs.data },
      })),
  };
}

function errorOf(f: () => unknown): { code?: string; node?: string; message: string } {
  try {
    f();
  } catch (error) {
    if (isMetacompressError(error))
      return { code: error.code, node: error.details.node, message: error.message };
    return { message: String(error) };
  }
  return { message: 'no error' };
}

describe('weightGradients', () => {
  it('gives d(mean CE)/d(initializer) for every float initializer, matching finite differences (ONNX layout)', async () => {
    const { tf } = await tfjs();
    const graph = await fixture('lenet5.onnx');
    const [batch] = await batches(32, 1);
    const grads = weightGradients(tf, graph, [batch!]);
    expect([...grads.keys()].sort()).toEqual(
      graph.initializers
        .filter((t) => isFloatType(t.dataType))
        .map((t) => t.name)
        .sort(),
    );
    // conv and Gemm weights are stored transposed inside the executor: gradients come back in ONNX layout.
    for (const name of ['conv1.weight', 'conv2.bias', 'fc1.weight', 'fc3.weight']) {
      const g = grads.get(name)!;
      const t = graph.initializers.find((x) => x.name === name)!;
      expect(g.length).toBe(toFloat32(t).length);
      let i = 0;
      for (let k = 1; k < g.length; k++) if (Math.abs(g[k]!) > Math.abs(g[i]!)) i = k;
      const eps = 1e-2;
      const at = (delta: number) => {
        const w = Float32Array.from(toFloat32(t));
        w[i]! += delta;
        return {
          ...graph,
          initializers: graph.initializers.map((x) => (x.name === name ? withFloat32(x, x.dims, w) : x)),
        };
      };
      const fd = ((await lossOf(at(eps), batch!)) - (await lossOf(at(-eps), batch!))) / (2 * eps);
      expect(Math.abs(g[i]!)).toBeGreaterThan(1e-3);
      expect(Math.abs(fd - g[i]!)).toBeLessThanOrEqual(0.03 * Math.abs(g[i]!) + 2e-4);
    }
  });

  it('sums over batches, reaches BN statistics and initializers read through Identity', async () => {
    const { tf } = await tfjs();
    const graph = await fixture('resnet-bn.onnx');
    const [b1, b2] = await batches(4, 2);
    const both = weightGradients(tf, graph, [b1!, b2!]);
    const one = weightGradients(tf, graph, [b1!]);
    const two = weightGradients(tf, graph, [b2!]);
    for (const [name, g] of both) {
      const sum = one.get(name)!.map((v, i) => v + two.get(name)![i]!);
      for (let i = 0; i < g.length; i++)
        expect(Math.abs(g[i]! - sum[i]!)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(sum[i]!));
    }
    // layers.2.bn2.bias feeds its own BN and, through an Identity node, the downsample BN.
    expect(both.get('layers.2.bn2.bias')!.some((v) => v !== 0)).toBe(true);
    expect(both.get('stem.1.running_mean')!.some((v) => v !== 0)).toBe(true);
  });
});

describe('the registered differentiable backend', () => {
  it('evaluates like onnxruntime-web and computes weight gradients, on the engine it names', async () => {
    const registry = new BackendRegistry();
    registerTfjsBackends({
      registry,
      env: { METACOMPRESS_TFJS_BACKEND: 'wasm,cpu' },
      executor: irGraphExecutor,
    });
    const backend = await registry.resolve<TfjsDifferentiableBackend>('differentiable');
    expect(['tfjs-wasm', 'tfjs-cpu']).toContain(backend.engine);
    const graph = await fixture('vgg_bn-bn.onnx');
    const test = await loadMnist({ split: 'test' });
    const mine = await backend.evaluate(graph, test, { limit: 300, batchSize: 100 });
    const ort = await (await ortWeb()).evaluate(graph, test, { limit: 300 });
    expect(mine.samples).toBe(300);
    expect(mine.accuracy).toBe(ort.accuracy);
    expect(Math.abs(mine.loss! - ort.loss!)).toBeLessThan(1e-4);
    const grads = await backend.weightGradients(graph, test.batches(16, { limit: 16 }));
    expect(grads.get('features.0.weight')?.some((v) => v !== 0)).toBe(true);
  });

  it("is what importing the package registers in core's registry", async () => {
    await import('../src/index');
    const backend = await backends.resolve<TfjsDifferentiableBackend>('differentiable', [
      'tfjs-wasm',
      'tfjs-cpu',
    ]);
    const result = await backend.evaluate(
      await fixture('lenet300.onnx'),
      flatMnist(await loadMnist({ split: 'test' })),
      { limit: 64 },
    );
    expect(result.samples).toBe(64);
    expect(result.accuracy).toBeGreaterThan(0.9);
  });
});

describe('reading weights back', () => {
  it('toGraph writes changed weights in ONNX layout and shares the others; onnxruntime-web agrees', async () => {
    const { tf } = await tfjs();
    const graph = await fixture('lenet5.onnx');
    const exec = buildExecutor(graph, { tf });
    try {
      expect(exec.weightPerm('conv1.weight')).toEqual([2, 3, 1, 0]);
      expect(exec.weightPerm('fc1.weight')).toEqual([1, 0]);
      expect(exec.weightPerm('fc1.bias')).toBeUndefined();
      for (const name of ['conv1.weight', 'fc1.weight']) {
        const v = exec.variables.get(name)!;
        tf.tidy(() => v.assign(tf.mul(v, 0.5)));
      }
      const out = exec.toGraph();
      const changed = out.initializers.filter((t, i) => t !== graph.initializers[i]).map((t) => t.name);
      expect(changed.sort()).toEqual(['conv1.weight', 'fc1.weight']);
      const before = toFloat32(graph.initializers.find((t) => t.name === 'conv1.weight')!);
      const after = toFloat32(out.initializers.find((t) => t.name === 'conv1.weight')!);
      expect(Array.from(after)).toEqual(Array.from(before, (v) => Math.fround(v * 0.5)));
      expect(Array.from(exec.readWeight('conv1.weight'))).toEqual(Array.from(after));
      const x = feed([4, 1, 28, 28], 3);
      const mine = tf.tidy(() => Float32Array.from(exec.predict(tf.tensor(x.data, [...x.dims])).dataSync()));
      const { maxDiff, tfjs: fresh } = await compareWithOrt(out, { input: x });
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
      expect(Array.from(fresh.logits!)).toEqual(Array.from(mine));
    } finally {
      exec.dispose();
    }
  });

  it('keeps float16 weights float16 when written back', async () => {
    const { tf } = await tfjs();
    const graph = graphOf({
      inputs: { x: [2, 3] },
      outputs: ['y'],
      nodes: [node('Gemm', ['x', 'w'], ['y'], { transB: a.int(1) })],
      initializers: [
        {
          ...weight('w', [4, 3], 1),
          dataType: DataType.FLOAT16,
          raw: new Uint8Array(new Uint16Array(12).fill(0x3c00).buffer),
        },
      ],
    });
    const exec = buildExecutor(graph, { tf });
    try {
      expect(Array.from(exec.readWeight('w'))).toEqual(new Array(12).fill(1));
      const v = exec.variables.get('w')!;
      tf.tidy(() => v.assign(tf.mul(v, 2)));
      const w = exec.toGraph().initializers[0]!;
      expect(w.dataType).toBe(DataType.FLOAT16);
      expect(Array.from(toFloat32(w))).toEqual(new Array(12).fill(2));
    } finally {
      exec.dispose();
    }
  });

  it('runs with replacement weights (params) shaped like the variables', async () => {
    const { tf } = await tfjs();
    const exec = buildExecutor(await fixture('lenet5.onnx'), { tf });
    const x = tf.tensor(feed([2, 1, 28, 28], 5).data, [2, 1, 28, 28]);
    try {
      const same = tf.tidy(() => Array.from(exec.predict(x, { params: new Map(exec.variables) }).dataSync()));
      const plain = tf.tidy(() => Array.from(exec.predict(x).dataSync()));
      expect(same).toEqual(plain);
      const fc3 = exec.variables.get('fc3.bias')!;
      const shifted = tf.tidy(() =>
        Array.from(exec.predict(x, { params: { 'fc3.bias': tf.add(fc3, 1) } }).dataSync()),
      );
      shifted.forEach((v, i) => expect(v).toBeCloseTo(plain[i]! + 1, 4));
      expect(errorOf(() => exec.predict(x, { params: { 'fc1.weight': tf.zeros([120, 400]) } })).code).toBe(
        'MC_SHAPE_MISMATCH',
      );
    } finally {
      tf.dispose(x);
      exec.dispose();
    }
  });
});

describe('errors and memory', () => {
  it('names the node of an unsupported op; custom handlers plug in per executor or globally', async () => {
    const { tf } = await tfjs();
    const graph = graphOf({
      inputs: { x: [2, 3] },
      outputs: ['y'],
      nodes: [node('Relu', ['x'], ['r'], {}, 'relu'), node('FancyOp', ['r'], ['y'], {}, 'fancy_1')],
    });
    const exec = buildExecutor(graph, { tf });
    const x = tf.ones([2, 3]);
    try {
      const e = errorOf(() => exec.forward({ x }));
      expect(e.code).toBe('MC_UNSUPPORTED_OP');
      expect(e.node).toBe('fancy_1');
      expect(e.message).toContain('FancyOp');
      const local = buildExecutor(graph, {
        tf,
        ops: { FancyOp: (ctx) => tensorValue(ctx.tf.mul(ctx.tensor(0), 3), layoutOf(ctx.input(0))) },
      });
      expect(tf.tidy(() => Array.from(local.forward({ x }).y!.dataSync()))).toEqual(new Array(6).fill(3));
      local.dispose();
      registerTfjsOp('FancyOp', (ctx) => tensorValue(ctx.tf.mul(ctx.tensor(0), 5), layoutOf(ctx.input(0))));
      const global = buildExecutor(graph, { tf });
      expect(tf.tidy(() => Array.from(global.forward({ x }).y!.dataSync()))).toEqual(new Array(6).fill(5));
      global.dispose();
    } finally {
      tf.dispose(x);
      exec.dispose();
    }
  });

  it('rejects missing inputs, unknown inputs and wrong shapes with typed errors', async () => {
    const { tf } = await tfjs();
    const exec = buildExecutor(await fixture('lenet5.onnx'), { tf });
    try {
      expect(errorOf(() => exec.forward({})).code).toBe('MC_INVALID_ARGUMENT');
      expect(
        errorOf(() => exec.forward({ input: tf.zeros([1, 1, 28, 28]), other: tf.zeros([1]) })).code,
      ).toBe('MC_INVALID_ARGUMENT');
      expect(errorOf(() => exec.forward({ input: tf.zeros([1, 1, 28, 27]) })).code).toBe('MC_SHAPE_MISMATCH');
      expect(errorOf(() => exec.forward({ input: tf.zeros([1, 28, 28]) })).code).toBe('MC_SHAPE_MISMATCH');
      expect(
        errorOf(() => exec.forward({ input: tf.zeros([1, 1, 28, 28]) }, { outputs: ['nope'] })).code,
      ).toBe('MC_INVALID_ARGUMENT');
    } finally {
      exec.dispose();
    }
  });

  it('returns intermediate values on request and leaks no tensor', async () => {
    const { tf } = await tfjs();
    const start = tf.memory().numTensors;
    const exec = buildExecutor(await fixture('mobilenetv2-bn.onnx'), { tf });
    const x = tf.zeros([2, 1, 28, 28]);
    const out = exec.forward({ input: x }, { outputs: ['/features/features.0/Conv_output_0', 'logits'] });
    expect(out['/features/features.0/Conv_output_0']!.shape[0]).toBe(2);
    expect(out['/features/features.0/Conv_output_0']!.shape[1]).toBe(16);
    expect(out.logits!.shape).toEqual([2, 10]);
    tf.dispose([x, ...Object.values(out)]);
    exec.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
