import * as tf from '@tensorflow/tfjs-core';
import { initTfjs } from '@metacompress/backend-tfjs';
import { isMetacompressError } from '@metacompress/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy';
import { checkAlpha, distillationLoss } from './distillation-loss';
import { createHintAdapter, hintLoss } from './hint-loss';
import { softTargetLoss } from './soft-target-loss';

beforeAll(async () => {
  await initTfjs({ prefer: ['wasm', 'cpu'] });
});

function softmax(row: number[], t = 1): number[] {
  const m = Math.max(...row.map((x) => x / t));
  const e = row.map((x) => Math.exp(x / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

const value = (t: tf.Tensor): number => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    return isMetacompressError(error) ? error.code : `not typed: ${String(error)}`;
  }
  return undefined;
}

const S = [
  [2, 0.5, -1],
  [0.1, 0.3, 1.7],
];
const T = [
  [3, -1, 0],
  [0, 2, 1],
];

describe('crossEntropy', () => {
  it('is the mean negative log-probability of the label', () => {
    const expected = -(Math.log(softmax(S[0]!)[0]!) + Math.log(softmax(S[1]!)[2]!)) / 2;
    expect(value(crossEntropy(tf.tensor2d(S), [0, 2]))).toBeCloseTo(expected, 5);
    expect(value(crossEntropy(tf.tensor2d(S), tf.tensor1d([0, 2], 'int32')))).toBeCloseTo(expected, 5);
  });

  it('rejects wrong label counts, out-of-range labels and non-2-D logits', () => {
    expect(codeOf(() => crossEntropy(tf.tensor2d(S), [0]))).toBe('MC_SHAPE_MISMATCH');
    expect(codeOf(() => crossEntropy(tf.tensor2d(S), [0, 3]))).toBe('MC_LABEL_OUT_OF_RANGE');
    expect(codeOf(() => crossEntropy(tf.tensor1d([1, 2]), [0]))).toBe('MC_SHAPE_MISMATCH');
  });
});

describe('softTargetLoss (Hinton et al. 2015)', () => {
  it('is T² times the mean KL divergence of the tempered softmaxes', () => {
    for (const temp of [1, 2, 5]) {
      let kl = 0;
      for (let i = 0; i < 2; i++) {
        const ps = softmax(S[i]!, temp);
        const pt = softmax(T[i]!, temp);
        kl += pt.reduce((acc, p, k) => acc + p * Math.log(p / ps[k]!), 0);
      }
      expect(value(softTargetLoss(tf.tensor2d(S), tf.tensor2d(T), temp))).toBeCloseTo(
        (temp * temp * kl) / 2,
        5,
      );
    }
  });

  it('is zero when the logits agree up to a shift, positive otherwise', () => {
    const shifted = S.map((r) => r.map((x) => x + 3));
    expect(Math.abs(value(softTargetLoss(tf.tensor2d(S), tf.tensor2d(shifted), 3)))).toBeLessThan(1e-6);
    expect(value(softTargetLoss(tf.tensor2d(S), tf.tensor2d(T), 3))).toBeGreaterThan(0.01);
  });

  it('has gradient T·(p_S − p_T)/batch with respect to the student logits (the T² scaling)', () => {
    const temp = 4;
    const g = tf.grad((s: tf.Tensor) => softTargetLoss(s, tf.tensor2d(T), temp))(tf.tensor2d(S));
    const got = Array.from(g.dataSync());
    const expected = S.flatMap((row, i) => {
      const ps = softmax(row, temp);
      const pt = softmax(T[i]!, temp);
      return ps.map((p, k) => (temp * (p - pt[k]!)) / 2);
    });
    got.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 5));
  });

  it('rejects a teacher of another shape and a bad temperature', () => {
    expect(codeOf(() => softTargetLoss(tf.tensor2d(S), tf.tensor2d([[1, 2]]), 2))).toBe('MC_SHAPE_MISMATCH');
    expect(
      codeOf(() =>
        softTargetLoss(
          tf.tensor2d(S),
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
          2,
        ),
      ),
    ).toBe('MC_SHAPE_MISMATCH');
    expect(codeOf(() => softTargetLoss(tf.tensor2d(S), tf.tensor2d(T), 0))).toBe('MC_INVALID_ARGUMENT');
    expect(codeOf(() => softTargetLoss(tf.tensor2d(S), tf.tensor2d(T), Number.NaN))).toBe(
      'MC_INVALID_ARGUMENT',
    );
  });
});

describe('distillationLoss', () => {
  it('mixes α·soft + (1−α)·hard; α = 0 is plain cross-entropy', () => {
    const s = tf.tensor2d(S);
    const t = tf.tensor2d(T);
    const hard = value(crossEntropy(s, [1, 2]));
    const soft = value(softTargetLoss(s, t, 3));
    const mixed = distillationLoss(s, t, [1, 2], { temperature: 3, alpha: 0.7 });
    expect(value(mixed.loss)).toBeCloseTo(0.7 * soft + 0.3 * hard, 5);
    expect(value(mixed.soft)).toBeCloseTo(soft, 6);
    expect(value(mixed.hard)).toBeCloseTo(hard, 6);
    const ce = distillationLoss(s, t, [1, 2], { temperature: 3, alpha: 0 });
    expect(value(ce.loss)).toBeCloseTo(hard, 6);
    tf.dispose([ce.soft, ce.hard]);
  });

  it('rejects α outside [0, 1]', () => {
    expect(codeOf(() => checkAlpha(1.5))).toBe('MC_INVALID_ARGUMENT');
    expect(codeOf(() => distillationLoss(tf.tensor2d(S), tf.tensor2d(T), [0, 0], { alpha: -0.1 }))).toBe(
      'MC_INVALID_ARGUMENT',
    );
  });
});

describe('hint adapter and loss (Romero et al. 2015)', () => {
  it('starts as the identity at equal widths, so equal features give zero loss', () => {
    const a = createHintAdapter({ studentChannels: 3, teacherChannels: 3, seed: 1 });
    const f = tf.randomNormal([2, 3, 4, 4], 0, 1, 'float32', 7);
    expect(value(hintLoss(a.apply(f), f))).toBeLessThan(1e-10);
    a.dispose();
  });

  it('is a 1×1 convolution over axis 1 of NCHW features and of [N, C] features', () => {
    const w = Float32Array.from([1, 2, 0, -1, 0.5, 3]); // [2, 3]
    const a = createHintAdapter({ studentChannels: 2, teacherChannels: 3, seed: 1, initial: w });
    const x = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
    const y = a.apply(x);
    expect(y.shape).toEqual([1, 3, 2, 2]);
    const xs = x.dataSync();
    const ys = y.dataSync();
    for (let o = 0; o < 3; o++)
      for (let p = 0; p < 4; p++)
        expect(ys[o * 4 + p]).toBeCloseTo(xs[p]! * w[o]! + xs[4 + p]! * w[3 + o]!, 5);
    const y2 = a.apply(tf.tensor2d([[1, 10]]));
    expect(Array.from(y2.dataSync())).toEqual([1 + 10 * -1, 2 + 10 * 0.5, 0 + 10 * 3]);
    a.dispose();
  });

  it('learns to map a narrow feature onto a wide one', () => {
    const a = createHintAdapter({ studentChannels: 2, teacherChannels: 4, seed: 3 });
    const x = tf.randomNormal([8, 2, 3, 3], 0, 1, 'float32', 1);
    const target = tf.concat([x, tf.mul(x, -2)], 1);
    const before = value(hintLoss(a.apply(x), target));
    for (let i = 0; i < 100; i++) {
      const { grads } = tf.variableGrads(() => hintLoss(a.apply(x), target), [a.weight]);
      a.weight.assign(tf.sub(a.weight, tf.mul(grads[a.weight.name]!, 0.1)));
      tf.dispose(grads);
    }
    expect(value(hintLoss(a.apply(x), target))).toBeLessThan(before * 0.01);
    a.dispose();
  });

  it('rejects mismatched shapes and widths', () => {
    const a = createHintAdapter({ studentChannels: 2, teacherChannels: 4, seed: 3 });
    expect(codeOf(() => a.apply(tf.zeros([1, 3, 2, 2])))).toBe('MC_SHAPE_MISMATCH');
    expect(codeOf(() => hintLoss(tf.zeros([1, 4, 2, 2]), tf.zeros([1, 4, 3, 3])))).toBe('MC_SHAPE_MISMATCH');
    expect(codeOf(() => createHintAdapter({ studentChannels: 0, teacherChannels: 4, seed: 1 }))).toBe(
      'MC_INVALID_ARGUMENT',
    );
    expect(
      codeOf(() =>
        createHintAdapter({ studentChannels: 2, teacherChannels: 4, seed: 1, initial: new Float32Array(3) }),
      ),
    ).toBe('MC_SHAPE_MISMATCH');
    a.dispose();
  });
});
