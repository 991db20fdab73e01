// Optimizer updates against hand-computed PyTorch rules, learning-rate schedules, losses.
import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { createOptimizer, crossEntropy, crossEntropyPerSample, learningRateAt } from '../src/base';
import { tfjs } from './executor-helpers';

describe('optimizers', () => {
  it('sgd, momentum (incl. Nesterov, weight decay) and adam follow the PyTorch update rules', async () => {
    const { tf } = await tfjs();
    const grads = [
      [0.5, -1],
      [0.25, 2],
      [-1, 0.5],
    ];
    const run = (spec: Parameters<typeof createOptimizer>[1], lr: number) => {
      const v = tf.tidy(() => tf.variable(tf.tensor1d([1, -2])));
      const opt = createOptimizer(tf, spec);
      for (const g of grads) tf.tidy(() => opt.apply([v], [tf.tensor1d(g)], lr));
      const out = Array.from(v.dataSync());
      expect(opt.steps).toBe(3);
      opt.dispose();
      v.dispose();
      return out;
    };
    // Reference updates, written out per element.
    const reference = (update: (w: number, g: number, state: Record<string, number>, t: number) => number) =>
      [1, -2].map((w0, j) => {
        let w = w0;
        const state: Record<string, number> = {};
        grads.forEach((g, t) => (w = update(w, g[j]!, state, t + 1)));
        return w;
      });
    const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 5));
    close(
      run('sgd', 0.1),
      reference((w, g) => w - 0.1 * g),
    );
    close(
      run({ name: 'momentum', momentum: 0.9 }, 0.1),
      reference((w, g, s, t) => {
        s.b = t === 1 ? g : 0.9 * s.b! + g;
        return w - 0.1 * s.b;
      }),
    );
    close(
      run({ name: 'momentum', momentum: 0.8, nesterov: true, weightDecay: 0.01 }, 0.1),
      reference((w, g0, s, t) => {
        const g = g0 + 0.01 * w;
        s.b = t === 1 ? g : 0.8 * s.b! + g;
        return w - 0.1 * (g + 0.8 * s.b);
      }),
    );
    close(
      run('adam', 0.01),
      reference((w, g, s, t) => {
        s.m = 0.9 * (s.m ?? 0) + 0.1 * g;
        s.v = 0.999 * (s.v ?? 0) + 0.001 * g * g;
        const mHat = s.m / (1 - 0.9 ** t);
        const vHat = s.v / (1 - 0.999 ** t);
        return w - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8);
      }),
    );
  });

  it('frees its state and rejects unknown names', async () => {
    const { tf } = await tfjs();
    const start = tf.memory().numTensors;
    const v = tf.tidy(() => tf.variable(tf.zeros([3])));
    const opt = createOptimizer(tf, 'adam');
    tf.tidy(() => opt.apply([v], [tf.ones([3])], 0.1));
    expect(tf.memory().numTensors).toBe(start + 3);
    opt.dispose();
    v.dispose();
    expect(tf.memory().numTensors).toBe(start);
    let code = '';
    try {
      createOptimizer(tf, 'rmsprop' as never);
    } catch (e) {
      code = isMetacompressError(e) ? e.code : '';
    }
    expect(code).toBe('MC_INVALID_ARGUMENT');
  });
});

describe('learning-rate schedules', () => {
  it('computes constant, cosine with warm-up, step, linear and one-cycle rates', () => {
    expect(learningRateAt(undefined, 0.1, 5, 10)).toBe(0.1);
    expect(learningRateAt({ kind: 'constant' }, 0.1, 5, 10)).toBe(0.1);
    expect(learningRateAt({ kind: 'cosine' }, 0.1, 0, 100)).toBeCloseTo(0.1, 10);
    expect(learningRateAt({ kind: 'cosine' }, 0.1, 50, 100)).toBeCloseTo(0.05, 10);
    expect(learningRateAt({ kind: 'cosine', warmupSteps: 10 }, 0.1, 4, 100)).toBeCloseTo(0.05, 10);
    expect(learningRateAt({ kind: 'cosine', minFactor: 0.1 }, 1, 100, 100)).toBeCloseTo(0.1, 10);
    expect(learningRateAt({ kind: 'step', every: 10, gamma: 0.5 }, 1, 25, 100)).toBe(0.25);
    expect(learningRateAt({ kind: 'linear', endFactor: 0 }, 1, 50, 100)).toBeCloseTo(0.5, 10);
    const oneCycle = Array.from({ length: 100 }, (_, i) =>
      learningRateAt({ kind: 'one-cycle', pctStart: 0.3 }, 1, i, 100),
    );
    expect(oneCycle[0]).toBeCloseTo(1 / 25, 10);
    expect(Math.max(...oneCycle)).toBeCloseTo(1, 10);
    expect(oneCycle.indexOf(Math.max(...oneCycle))).toBe(29);
    expect(oneCycle[99]).toBeCloseTo(1 / 25 / 1e4, 10);
    expect(learningRateAt((step, total, base) => base * (total - step), 0.01, 3, 10)).toBeCloseTo(0.07, 10);
  });
});

describe('losses', () => {
  it('cross-entropy from logSoftmax equals −log softmax of the label, per sample and mean', async () => {
    const { tf } = await tfjs();
    const logits = [
      [2, 0, -1],
      [0.5, 0.5, 3],
    ];
    const labels = [0, 2];
    const expected = logits.map(
      (row, i) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[labels[i]!]!,
    );
    const per = tf.tidy(() =>
      Array.from(crossEntropyPerSample(tf, tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).dataSync()),
    );
    per.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    const mean = tf.tidy(
      () => crossEntropy(tf, tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).dataSync()[0]!,
    );
    expect(mean).toBeCloseTo((expected[0]! + expected[1]!) / 2, 5);
  });
});
