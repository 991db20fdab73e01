import {
  buildExecutor,
  initTfjs,
  softmaxCrossEntropy,
  type TfjsRuntime,
} from '@metacompress/backend-tfjs/base';
import { loadOnnx, type Graph } from '@metacompress/ir';
import { loadMnist } from '@metacompress/tasks';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT } from './features/feature-names';
import { featureMatrix, featurizeGroups } from './features/featurize-groups';
import { rankChannels, softGroupMasks } from './masks/soft-masks';
import { paramsToTensors, policyForward } from './network/forward';
import { createPolicyNetwork } from './network/policy-network';
import { differentiableKeep, marginalCosts } from './projection/differentiable-keep';
import { projectBudget } from './projection/project-budget';
import { FIXTURES } from './test-graphs';

// DESIGN §5 "differentiable evaluation", end to end on LeNet-5 and 32 MNIST test images:
// features → Φ → budget projection → keep ratios (implicit shift gradient) → soft masks →
// masked model on backend-tfjs → cross-entropy → gradients for Φ (the model's weights frozen).
let rt: TfjsRuntime;
let graph: Graph;
let x: Float32Array;
let labels: Int32Array;
beforeAll(async () => {
  rt = await initTfjs({ prefer: ['cpu'] });
  graph = await loadOnnx(`${FIXTURES}/lenet5.onnx`);
  const batch = [...(await loadMnist({ split: 'test' })).batches(32, { limit: 32 })][0];
  x = batch.inputs.data;
  labels = batch.labels;
});

describe('differentiable evaluation of Φ', () => {
  it('gives finite, non-zero gradients to Φ, and a small step along them lowers the masked loss', () => {
    const { tf } = rt;
    const budget = { metric: 'params', ratio: 0.3 } as const;
    const features = featurizeGroups(graph, { budget });
    const ids = features.groups.map((g) => g.id);
    const rankings = features.groups.map((g, i) => ({
      id: g.id,
      ranks: rankChannels(features.importance[i]),
    }));
    const phi = createPolicyNetwork({ seed: 2, hidden: 16, activation: 'tanh' });
    const executor = buildExecutor(graph, { tf, trainable: 'none' });
    const input = tf.tensor4d(x, [32, 1, 28, 28]);
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
    const featureTensor = tf.tensor2d(featureMatrix(features), [ids.length, FEATURE_COUNT]);
    const names = Object.keys(phi.params);

    // Project once (host), then differentiate around that point with the implicit shift gradient.
    const logits0 = tf.tidy(() =>
      Array.from(
        policyForward(
          tf,
          phi.config,
          paramsToTensors(tf, phi.config, phi.params),
          featureTensor,
        ).keepLogits.dataSync(),
      ),
    );
    const projection = projectBudget(features.estimator, ids, logits0, budget);
    const marginal = marginalCosts(features.estimator, projection.counts, ids, 'params');
    expect(projection.withinTolerance).toBe(true);

    const lossOf = (params: Record<string, any>, shift: number, gradient: 'implicit' | 'constant') => {
      const out = policyForward(tf, phi.config, params, featureTensor);
      const keep = differentiableKeep(tf, out.keepLogits, { shift, gradient, marginal });
      const masks = softGroupMasks(tf, keep, rankings, { temperature: 0.5 });
      return softmaxCrossEntropy(oneHot, executor.predict(input, { masks }));
    };
    const theta = paramsToTensors(tf, phi.config, phi.params);
    // The bit head does not reach this loss: differentiate the rest, pass it as a constant.
    const trained = names.filter((n) => !n.startsWith('bits.'));
    const { value, grads } = tf.tidy(() => {
      const f = (...ts: any[]) =>
        lossOf(
          { ...theta, ...Object.fromEntries(trained.map((n, i) => [n, ts[i]])) },
          projection.shift,
          'implicit',
        ) as any;
      const r = tf.valueAndGrads(f)(trained.map((n) => theta[n]));
      return { value: r.value.dataSync()[0], grads: r.grads.map((g) => Float32Array.from(g.dataSync())) };
    });
    expect(Number.isFinite(value)).toBe(true);
    let norm = 0;
    grads.forEach((g, i) => {
      expect(g.every(Number.isFinite), trained[i]).toBe(true);
      for (const v of g) norm += v * v;
    });
    expect(Math.sqrt(norm)).toBeGreaterThan(1e-4);
    expect(grads[trained.indexOf('keep.weight')].some((v) => v !== 0)).toBe(true);
    expect(grads[trained.indexOf('embed.0.weight')].some((v) => v !== 0)).toBe(true);

    // A small descent step lowers the loss of the re-projected policy (the shift solved again so
    // that the relaxed cost Σ m·σ(l + s) stays where the budget put it): the implicit gradient is
    // that function's gradient.
    const lr = 0.05 / Math.sqrt(norm);
    const stepped = { ...theta };
    trained.forEach(
      (n, i) =>
        (stepped[n] = tf.tensor(
          Float32Array.from(phi.params[n], (v, j) => v - lr * grads[i][j]),
          theta[n].shape,
        )),
    );
    const logits1 = tf.tidy(() =>
      Array.from(policyForward(tf, phi.config, stepped, featureTensor).keepLogits.dataSync()),
    );
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const relaxed = (l: number[], sh: number) =>
      l.reduce((acc, v, g) => acc + marginal[g] * sigmoid(v + sh), 0);
    const target = relaxed(logits0, projection.shift);
    let lo = projection.shift - 20;
    let hi = projection.shift + 20;
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if (relaxed(logits1, mid) < target) lo = mid;
      else hi = mid;
    }
    const after = tf.tidy(() => lossOf(stepped, (lo + hi) / 2, 'constant').dataSync()[0]);
    const before = tf.tidy(() => lossOf(theta, projection.shift, 'constant').dataSync()[0]);
    expect(before).toBeCloseTo(value, 5);
    expect(after).toBeLessThan(value);
    // …by about what the gradient predicts (first order: lr·|g|²).
    expect((value - after) / (lr * norm)).toBeGreaterThan(0.5);
    expect((value - after) / (lr * norm)).toBeLessThan(1.5);
    executor.dispose();
  });

  it('with keep = 1 and a sharp mask, the masked model is the model', () => {
    const { tf } = rt;
    const features = featurizeGroups(graph, { budget: { metric: 'macs', ratio: 0.5 } });
    const rankings = features.groups.map((g, i) => ({
      id: g.id,
      ranks: rankChannels(features.importance[i]),
    }));
    const executor = buildExecutor(graph, { tf, trainable: 'none' });
    const [plain, masked] = tf.tidy(() => {
      const input = tf.tensor4d(x.subarray(0, 4 * 784), [4, 1, 28, 28]);
      const masks = softGroupMasks(tf, tf.ones([rankings.length]) as any, rankings, { temperature: 0.01 });
      return [
        executor.predict(input).arraySync() as number[][],
        executor.predict(input, { masks }).arraySync() as number[][],
      ];
    });
    plain.forEach((row, i) => row.forEach((v, j) => expect(masked[i][j]).toBeCloseTo(v, 4)));
    executor.dispose();
  });
});
