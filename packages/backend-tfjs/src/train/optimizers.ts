import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Tf } from '../executor/layout';

/** Optimizers {@link createOptimizer} knows. */
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

/** An optimizer and its hyper-parameters (PyTorch conventions). */
export interface OptimizerSpec {
  name: OptimizerName;
  /** Momentum factor of `momentum` (default 0.9). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Adam's β₁ and β₂ (default 0.9, 0.999). */
  beta1?: number;
  beta2?: number;
  /** Adam's ε (default 1e-8). */
  epsilon?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
}

/** Updates variables from gradients; owns its state (momentum buffers, moments). */
export interface Optimizer {
  readonly spec: Readonly<OptimizerSpec>;
  /** One update with learning rate `lr`; `grads[i]` belongs to `variables[i]` (null: no gradient, skipped). */
  apply(
    variables: readonly tfc.Variable[],
    grads: readonly (tfc.Tensor | null | undefined)[],
    lr: number,
  ): void;
  /** Steps taken so far. */
  readonly steps: number;
  dispose(): void;
}

/**
 * An optimizer: plain SGD, SGD with (Nesterov) momentum (Sutskever et al. 2013), or Adam (Kingma &
 * Ba 2015), with PyTorch's update rules so that hyper-parameters carry over.
 *
 * @example
 * const opt = createOptimizer(tf, { name: 'adam' });
 * opt.apply(vars, grads, 1e-3);
 */
export function createOptimizer(tf: Tf, spec: OptimizerSpec | OptimizerName): Optimizer {
  const s: OptimizerSpec = typeof spec === 'string' ? { name: spec } : { ...spec };
  if (!['sgd', 'momentum', 'adam'].includes(s.name)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `unknown optimizer '${String(s.name)}' (use sgd, momentum or adam)`,
      { field: 'optimizer' },
    );
  }
  const momentum = s.momentum ?? 0.9;
  const beta1 = s.beta1 ?? 0.9;
  const beta2 = s.beta2 ?? 0.999;
  const epsilon = s.epsilon ?? 1e-8;
  const decay = s.weightDecay ?? 0;
  const first = new Map<tfc.Variable, tfc.Variable>();
  const second = new Map<tfc.Variable, tfc.Variable>();
  const slot = (map: Map<tfc.Variable, tfc.Variable>, v: tfc.Variable) => {
    let b = map.get(v);
    if (!b) {
      b = tf.tidy(() => tf.variable(tf.zerosLike(v), false));
      map.set(v, b);
    }
    return b;
  };
  let steps = 0;
  return {
    spec: s,
    get steps() {
      return steps;
    },
    apply(variables, grads, lr) {
      steps += 1;
      const t = steps;
      tf.tidy(() => {
        variables.forEach((v, i) => {
          let g = grads[i];
          if (!g) return;
          if (decay) g = tf.add(g, tf.mul(v, decay));
          if (s.name === 'sgd') {
            v.assign(tf.sub(v, tf.mul(g, lr)));
          } else if (s.name === 'momentum') {
            const buf = slot(first, v);
            const next = t === 1 ? g : tf.add(tf.mul(buf, momentum), g);
            buf.assign(next);
            const step = s.nesterov ? tf.add(g, tf.mul(next, momentum)) : next;
            v.assign(tf.sub(v, tf.mul(step, lr)));
          } else {
            const m = slot(first, v);
            const u = slot(second, v);
            m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
            u.assign(tf.add(tf.mul(u, beta2), tf.mul(tf.square(g), 1 - beta2)));
            const mHat = tf.div(m, 1 - beta1 ** t);
            const denom = tf.add(tf.sqrt(tf.div(u, 1 - beta2 ** t)), epsilon);
            v.assign(tf.sub(v, tf.mul(tf.div(mHat, denom), lr)));
          }
        });
      });
    },
    dispose() {
      for (const b of [...first.values(), ...second.values()]) b.dispose();
      first.clear();
      second.clear();
    },
  };
}
