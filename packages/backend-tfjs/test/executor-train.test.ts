// Issue 4 acceptance: fine-tuning through the executor repairs a deliberately perturbed LeNet-5,
// and the fine-tuned graph, exported to ONNX, scores the same in onnxruntime-web as in tfjs.
import { describe, expect, it } from 'vitest';
import { createRng } from '@metacompress/core';
import { decodeOnnx, encodeOnnx, isFloatType, toFloat32, withFloat32, type Graph } from '@metacompress/ir';
import { loadMnist } from '@metacompress/tasks';
import { buildExecutor, evaluate, train, type TrainStep } from '../src/base';
import { fixture, ortWeb, tfjs } from './executor-helpers';

/** Every weight plus 0.8·std(weight)·N(0, 1) noise, seeded: a model that lost a few points. */
function perturb(graph: Graph, seed: number): Graph {
  const rng = createRng(seed);
  return {
    ...graph,
    initializers: graph.initializers.map((t) => {
      if (!isFloatType(t.dataType)) return t;
      const w = toFloat32(t);
      const mean = w.reduce((s, v) => s + v, 0) / w.length;
      const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
      return withFloat32(
        t,
        t.dims,
        w.map((v) => v + 0.8 * std * rng.normal()),
      );
    }),
  };
}

const TEST_SAMPLES = 1000;

describe('training through the executor', () => {
  it('fine-tunes a perturbed LeNet-5 back up; the exported ONNX scores the same in onnxruntime-web (±0.1 pt)', async () => {
    const { tf } = await tfjs();
    const perturbed = perturb(await fixture('lenet5.onnx'), 7);
    const trainSet = (await loadMnist({ split: 'train' })).subset(Array.from({ length: 4096 }, (_, i) => i));
    const testSet = await loadMnist({ split: 'test' });
    const exec = buildExecutor(perturbed, { tf });
    try {
      const before = await evaluate(exec, testSet, { limit: TEST_SAMPLES });
      const counts: number[] = [];
      const steps: TrainStep[] = [];
      const result = await train(exec, trainSet, {
        steps: 48,
        batchSize: 64,
        optimizer: 'adam',
        learningRate: 1e-3,
        schedule: { kind: 'cosine' },
        seed: 1,
        onStep: (s) => {
          steps.push(s);
          counts.push(tf.memory().numTensors);
        },
      });
      expect(result.steps).toBe(48);
      expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 48 }, (_, i) => i));
      expect(steps[47]!.learningRate).toBeLessThan(steps[0]!.learningRate);
      // No tensor outlives a step: the count is the same after every step.
      expect(new Set(counts).size).toBe(1);
      const after = await evaluate(exec, testSet, { limit: TEST_SAMPLES });
      expect(before.accuracy).toBeLessThan(0.97);
      expect(after.accuracy).toBeGreaterThan(before.accuracy + 0.02);
      expect(after.loss).toBeLessThan(before.loss);

      const tuned = decodeOnnx(encodeOnnx(exec.toGraph()));
      const ort = await (await ortWeb()).evaluate(tuned, testSet, { limit: TEST_SAMPLES });
      expect(ort.samples).toBe(TEST_SAMPLES);
      expect(Math.abs(ort.accuracy - after.accuracy)).toBeLessThanOrEqual(0.001);
    } finally {
      exec.dispose();
    }
  });

  it('is deterministic for a seed: the same losses twice, others for another seed', async () => {
    const { tf } = await tfjs();
    const graph = perturb(await fixture('lenet300.onnx'), 3);
    const data = (await loadMnist({ split: 'train' })).subset(Array.from({ length: 512 }, (_, i) => i));
    const flat = {
      name: data.name,
      length: data.length,
      numClasses: data.numClasses,
      sampleShape: [784],
      batches: (n: number, o?: object) =>
        [...data.batches(n, o)].map((b) => ({
          ...b,
          inputs: { dims: [b.labels.length, 784], data: b.inputs.data },
        })),
    };
    const run = async (seed: number) => {
      const exec = buildExecutor(graph, { tf });
      try {
        return (
          await train(exec, flat, {
            steps: 5,
            batchSize: 32,
            optimizer: 'momentum',
            learningRate: 0.01,
            seed,
          })
        ).losses;
      } finally {
        exec.dispose();
      }
    };
    const first = await run(5);
    expect(await run(5)).toEqual(first);
    expect(await run(6)).not.toEqual(first);
  });

  it('updates BatchNormalization running statistics in batch mode; toGraph shares what did not change', async () => {
    const { tf } = await tfjs();
    const graph = await fixture('vgg_bn-bn.onnx');
    const data = (await loadMnist({ split: 'train' })).subset(Array.from({ length: 128 }, (_, i) => i));
    for (const mode of ['frozen', 'batch'] as const) {
      const exec = buildExecutor(graph, { tf, batchNorm: mode });
      try {
        // A zero learning rate: only running statistics can move.
        await train(exec, data, { steps: 2, batchSize: 32, optimizer: 'sgd', learningRate: 0, seed: 0 });
        const out = exec.toGraph();
        const changed = out.initializers.filter((t, i) => t !== graph.initializers[i]).map((t) => t.name);
        if (mode === 'frozen') expect(changed).toEqual([]);
        else {
          expect(changed.length).toBeGreaterThan(0);
          expect(changed.every((n) => /running_(mean|var)$/.test(n))).toBe(true);
        }
      } finally {
        exec.dispose();
      }
    }
  });

  it('trains only the selected weights and takes a custom loss', async () => {
    const { tf } = await tfjs();
    const graph = perturb(await fixture('lenet5.onnx'), 11);
    const data = (await loadMnist({ split: 'train' })).subset(Array.from({ length: 128 }, (_, i) => i));
    const exec = buildExecutor(graph, {
      tf,
      trainable: { opTypes: ['Gemm'], exclude: { names: ['/fc3/*'] } },
    });
    try {
      expect([...exec.trainableNames].sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
      let calls = 0;
      const maskSteps: number[] = [];
      await train(exec, data, {
        steps: 2,
        masks: (step) => {
          maskSteps.push(step);
          return { '/conv1/Conv': tf.fill([6], 0.5) };
        },
        batchSize: 32,
        learningRate: 0.01,
        loss: (logits, labels) => {
          calls += 1;
          expect(labels.dtype).toBe('int32');
          return tf.mean(tf.square(logits));
        },
      });
      expect(calls).toBe(2);
      expect(maskSteps).toEqual([0, 1]);
      const changed = exec
        .toGraph()
        .initializers.filter((t, i) => t !== graph.initializers[i])
        .map((t) => t.name)
        .sort();
      expect(changed).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    } finally {
      exec.dispose();
    }
  });
});
