import * as tf from '@tensorflow/tfjs-core';
import { initTfjs } from '@metacompress/backend-tfjs';
import { isMetacompressError } from '@metacompress/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer, type NamedVariable, type OptimizerConfig } from './optimizer';

beforeAll(async () => {
  await initTfjs({ prefer: ['wasm', 'cpu'] });
});

let counter = 0;
function params(values: number[][]): NamedVariable[] {
  return values.map((v, i) => ({
    name: `p${i}`,
    variable: tf.variable(tf.tensor1d(v), true, `opt_test_${counter++}`),
  }));
}

/** Minimizes Σ (w − target)² for `steps` steps; returns the final values. */
function run(
  config: OptimizerConfig,
  steps: number,
  lr: number,
  start?: { state: ReturnType<ReturnType<typeof createOptimizer>['state']>; w: number[][] },
) {
  const ps = params(start?.w ?? [[1, -2, 3], [0.5]]);
  const opt = createOptimizer(config);
  if (start) opt.load(start.state, ps);
  const target = [tf.tensor1d([0, 0, 0]), tf.tensor1d([2])];
  for (let s = 0; s < steps; s++) {
    const { grads } = tf.variableGrads(
      () => tf.addN(ps.map((p, i) => tf.sum(tf.square(tf.sub(p.variable, target[i]!))))) as tf.Scalar,
      ps.map((p) => p.variable),
    );
    opt.apply(
      ps,
      ps.map((p) => grads[p.variable.name]!),
      lr,
    );
    tf.dispose(grads);
  }
  const w = ps.map((p) => Array.from(p.variable.dataSync()));
  const state = opt.state();
  ps.forEach((p) => p.variable.dispose());
  opt.dispose();
  tf.dispose(target);
  return { w, state, updates: state[0]!.data[0] };
}

describe('optimizers', () => {
  it('plain SGD takes w − lr·g', () => {
    const { w } = run({ kind: 'sgd' }, 1, 0.1);
    // g = 2(w − target): w1 = [1, −2, 3] − 0.2·[1, −2, 3]
    expect(w[0]!.map((x) => +x.toFixed(5))).toEqual([0.8, -1.6, 2.4]);
    expect(w[1]![0]).toBeCloseTo(0.5 - 0.2 * (0.5 - 2), 6);
  });

  it('Adam takes a first step of size lr in every coordinate', () => {
    const { w } = run({ kind: 'adam' }, 1, 0.01);
    expect(w[0]![0]).toBeCloseTo(0.99, 5);
    expect(w[0]![1]).toBeCloseTo(-1.99, 5);
    expect(w[1]![0]).toBeCloseTo(0.51, 5);
  });

  it.each<OptimizerConfig>([
    { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
    { kind: 'adam', weightDecay: 0.01 },
  ])('converges and resumes exactly from its state (%o)', (config) => {
    const straight = run(config, 40, 0.05);
    expect(Math.abs(straight.w[1]![0]! - 2)).toBeLessThan(0.2);
    const half = run(config, 20, 0.05);
    const resumed = run(config, 20, 0.05, { state: half.state, w: half.w });
    expect(resumed.w).toEqual(straight.w);
    expect(resumed.updates).toBe(40);
  });

  it('rejects bad configs and foreign state', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isMetacompressError(e) ? `${e.code} ${String(e.details.field)}` : String(e);
      }
    };
    expect(code(() => createOptimizer({ kind: 'adam', beta1: 1 }))).toBe(
      'MC_INVALID_ARGUMENT optimizer.beta1',
    );
    expect(code(() => createOptimizer({ kind: 'rmsprop' } as never))).toBe(
      'MC_INVALID_ARGUMENT optimizer.kind',
    );
    const ps = params([[1, 2]]);
    const opt = createOptimizer({ kind: 'adam' });
    expect(
      code(() =>
        opt.load(
          [
            { name: 'updates', dims: [], data: Float32Array.of(1) },
            { name: 'q/m', dims: [2], data: new Float32Array(2) },
          ],
          ps,
        ),
      ),
    ).toBe('MC_CHECKPOINT_INVALID optimizer');
    expect(
      code(() =>
        opt.load(
          [
            { name: 'updates', dims: [], data: Float32Array.of(1) },
            { name: 'p0/m', dims: [3], data: new Float32Array(3) },
          ],
          ps,
        ),
      ),
    ).toBe('MC_CHECKPOINT_INVALID optimizer');
    expect(code(() => opt.load([], ps))).toBe('MC_CHECKPOINT_INVALID optimizer.updates');
    ps[0]!.variable.dispose();
  });
});
