import { initTfjs, type TfjsRuntime } from '@metacompress/backend-tfjs/base';
import { createCostEstimator, loadOnnx, type CostEstimator } from '@metacompress/ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../test-graphs';
import { differentiableKeep, marginalCosts } from './differentiable-keep';
import { projectBudget } from './project-budget';

let rt: TfjsRuntime;
let lenet300: CostEstimator;
beforeAll(async () => {
  rt = await initTfjs({ prefer: ['cpu'] });
  lenet300 = createCostEstimator(await loadOnnx(`${FIXTURES}/lenet300.onnx`));
});
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Jacobian ∂keep_g/∂l_h of differentiableKeep, row g. */
function jacobian(logits: number[], options: Parameters<typeof differentiableKeep>[2]): number[][] {
  const { tf } = rt;
  return logits.map((_, g) =>
    tf.tidy(() =>
      Array.from(
        tf
          .grad((l: any) => tf.gather(differentiableKeep(tf, l, options), g) as any)(tf.tensor1d(logits))
          .dataSync(),
      ),
    ),
  );
}

describe('marginalCosts', () => {
  it('are ∂cost/∂keep of each group (LeNet-300 params are bilinear in the counts)', () => {
    const [fc1, fc2] = lenet300.groups.filter((g) => g.prunable).map((g) => g.id);
    const counts = new Map([
      [fc1, 150],
      [fc2, 50],
    ]);
    // params = 784·n1 + n1 + n1·n2 + n2 + n2·10 + 10
    const m = marginalCosts(lenet300, counts, [fc1, fc2], 'params');
    expect(m[0]).toBeCloseTo(300 * (785 + 50), 6);
    expect(m[1]).toBeCloseTo(100 * (150 + 1 + 10), 6);
    expect(() => marginalCosts(lenet300, counts, ['nope'], 'params')).toThrow(
      expect.objectContaining({ code: 'MC_UNKNOWN_GROUP' }),
    );
  });
});

describe('differentiableKeep', () => {
  const logits = [0.8, -0.5, 1.7];
  const shift = -0.3;

  it('(constant shift) is σ(l + s) with the plain sigmoid derivative', () => {
    const { tf } = rt;
    const keep = tf.tidy(() => Array.from(differentiableKeep(tf, tf.tensor1d(logits), { shift }).dataSync()));
    keep.forEach((k, i) => expect(k).toBeCloseTo(sigmoid(logits[i] + shift), 6));
    const j = jacobian(logits, { shift });
    j.forEach((row, g) =>
      row.forEach((v, h) => expect(v).toBeCloseTo(g === h ? keep[g] * (1 - keep[g]) : 0, 6)),
    );
  });

  it('(implicit shift) has the same value, keeps the relaxed cost constant to first order, and matches re-projecting', () => {
    const { tf } = rt;
    const m = [3, 1, 0.5];
    const options = { shift, gradient: 'implicit' as const, marginal: m };
    const keep = tf.tidy(() => Array.from(differentiableKeep(tf, tf.tensor1d(logits), options).dataSync()));
    keep.forEach((k, i) => expect(k).toBeCloseTo(sigmoid(logits[i] + shift), 6));
    const j = jacobian(logits, options);
    // Σ_g m_g ∂k_g/∂l_h = 0: moving any logit leaves Σ m·k where the budget put it.
    for (let h = 0; h < 3; h++) expect(j.reduce((s, row, g) => s + m[g] * row[h], 0)).toBeCloseTo(0, 5);
    // Against finite differences of the exact continuous projection: s(l) solves Σ m σ(l + s) = T.
    const target = logits.reduce((s, l, g) => s + m[g] * sigmoid(l + shift), 0);
    const project = (l: number[]): number[] => {
      let lo = -50;
      let hi = 50;
      for (let i = 0; i < 200; i++) {
        const mid = (lo + hi) / 2;
        if (l.reduce((s, x, g) => s + m[g] * sigmoid(x + mid), 0) < target) lo = mid;
        else hi = mid;
      }
      return l.map((x) => sigmoid(x + (lo + hi) / 2));
    };
    const eps = 1e-4;
    for (let h = 0; h < 3; h++) {
      const plus = project(logits.map((l, i) => (i === h ? l + eps : l)));
      const minus = project(logits.map((l, i) => (i === h ? l - eps : l)));
      for (let g = 0; g < 3; g++) expect(j[g][h]).toBeCloseTo((plus[g] - minus[g]) / (2 * eps), 4);
    }
    // The constant-shift Jacobian does not keep the budget.
    const c = jacobian(logits, { shift });
    expect(Math.abs(c.reduce((s, row, g) => s + m[g] * row[0], 0))).toBeGreaterThan(0.1);
  });

  it('works on a real projection and rejects what it cannot use', () => {
    const { tf } = rt;
    const ids = lenet300.groups.filter((g) => g.prunable).map((g) => g.id);
    const p = projectBudget(lenet300, ids, [0.5, -0.5], { metric: 'params', ratio: 0.4 });
    const m = marginalCosts(lenet300, p.counts, ids, 'params');
    const j = jacobian([0.5, -0.5], { shift: p.shift, gradient: 'implicit', marginal: m });
    expect(Math.abs(m[0] * j[0][0] + m[1] * j[1][0])).toBeLessThan(
      1e-4 * (Math.abs(m[0] * j[0][0]) + Math.abs(m[1] * j[1][0])),
    );
    expect(Math.abs(j[0][0])).toBeGreaterThan(1e-3);
    expect(() => differentiableKeep(tf, tf.tensor1d([0, 1]), { shift: 0, gradient: 'implicit' })).toThrow(
      expect.objectContaining({ code: 'MC_INVALID_ARGUMENT', details: { field: 'marginal' } }),
    );
    expect(() => differentiableKeep(tf, tf.tensor1d([0, 1]), { shift: Number.NaN })).toThrow(
      expect.objectContaining({ details: { field: 'shift' } }),
    );
  });
});
