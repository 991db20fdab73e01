import { initTfjs, type TfjsRuntime } from '@metacompress/backend-tfjs/base';
import { createRng } from '@metacompress/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES } from '../features/feature-names';
import { policyForward, paramsToTensors, tensorsToParams, type TensorParams } from './forward';
import { policyForwardHost } from './forward-host';
import {
  cloneParams,
  createPolicyNetwork,
  initPolicyParams,
  policyParamShapes,
  shapeSize,
  type PolicyNetwork,
} from './policy-network';

let rt: TfjsRuntime;
beforeAll(async () => {
  rt = await initTfjs({ prefer: ['cpu'] });
});

/** `tf.tidy` for a callback that returns host values (tidy itself only passes tensors through). */
function onHost<T>(f: () => T): T {
  let out: T | undefined;
  rt.tf.tidy(() => {
    out = f();
  });
  return out as T;
}

function randomRows(groups: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: groups }, () => Float32Array.from({ length: FEATURE_COUNT }, () => rng.next()));
}

/** A network whose every parameter (biases too) is random, so no term vanishes. */
function denseNetwork(activation: 'relu' | 'tanh', seed = 3): PolicyNetwork {
  const phi = createPolicyNetwork({ activation, hidden: 8, seed });
  const rng = createRng(seed + 100);
  for (const v of Object.values(phi.params)) for (let i = 0; i < v.length; i++) v[i] = rng.normal() * 0.4;
  return phi;
}

function run(phi: PolicyNetwork, rows: Float32Array[]) {
  const { tf } = rt;
  return tf.tidy(() => {
    const x = tf.tensor2d(Float32Array.from(rows.flatMap((r) => [...r])), [rows.length, FEATURE_COUNT]);
    const out = policyForward(tf, phi.config, paramsToTensors(tf, phi.config, phi.params), x);
    return { keep: Array.from(out.keepLogits.dataSync()), bits: out.bitLogits.arraySync() as number[][] };
  });
}

describe('policy network parameters', () => {
  it('are plain named Float32Arrays of the architecture’s shapes, seeded', () => {
    const phi = createPolicyNetwork({ seed: 5 });
    const shapes = policyParamShapes(phi.config);
    expect(Object.keys(phi.params).sort()).toEqual(Object.keys(shapes).sort());
    for (const [name, shape] of Object.entries(shapes))
      expect(phi.params[name].length).toBe(shapeSize(shape));
    expect(shapes['embed.0.weight']).toEqual([FEATURE_COUNT, 32]);
    expect(shapes['bits.weight']).toEqual([32, 4]);
    expect(phi.config.bitWidths).toEqual([32, 16, 8, 4]);
    expect(createPolicyNetwork({ seed: 5 }).params).toEqual(phi.params);
    expect(createPolicyNetwork({ seed: 6 }).params['embed.0.weight']).not.toEqual(
      phi.params['embed.0.weight'],
    );
    expect(phi.params['embed.0.bias'].every((v) => v === 0)).toBe(true);
    // Glorot limit, and a keep head ten times smaller.
    const limit = Math.sqrt(6 / (FEATURE_COUNT + 32));
    expect(Math.max(...phi.params['embed.0.weight'].map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...phi.params['embed.0.weight'].map(Math.abs))).toBeGreaterThan(limit * 0.9);
    expect(Math.max(...phi.params['keep.weight'].map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 33) * 0.1);
  });

  it('clone deeply and reject bad architectures', () => {
    const phi = createPolicyNetwork();
    const copy = cloneParams(phi.params);
    copy['keep.bias'][0] = 7;
    expect(phi.params['keep.bias'][0]).toBe(0);
    expect(() => createPolicyNetwork({ hidden: 0 })).toThrow(
      expect.objectContaining({ code: 'MC_INVALID_ARGUMENT', details: { field: 'hidden' } }),
    );
    expect(() => createPolicyNetwork({ bitWidths: [3 as never] })).toThrow(
      expect.objectContaining({ details: { field: 'bitWidths' } }),
    );
    expect(() => initPolicyParams({ ...phi.config, activation: 'gelu' as never })).toThrow(
      expect.objectContaining({ details: { field: 'activation' } }),
    );
  });
});

describe('policyForward', () => {
  it.each(['relu', 'tanh'] as const)('(%s) equals the host forward pass', (activation) => {
    const phi = denseNetwork(activation);
    const rows = randomRows(5, 1);
    const tfOut = run(phi, rows);
    const host = policyForwardHost(phi.config, phi.params, rows);
    tfOut.keep.forEach((v, i) => expect(v).toBeCloseTo(host.keepLogits[i], 4));
    tfOut.bits.forEach((r, i) => r.forEach((v, b) => expect(v).toBeCloseTo(host.bitLogits[i][b], 4)));
    expect(tfOut.bits[0].length).toBe(4);
  });

  it('is permutation-equivariant and sees the whole model through the pooled context', () => {
    const phi = denseNetwork('tanh');
    const rows = randomRows(4, 2);
    const base = policyForwardHost(phi.config, phi.params, rows).keepLogits;
    const permuted = policyForwardHost(phi.config, phi.params, [
      rows[2],
      rows[0],
      rows[3],
      rows[1],
    ]).keepLogits;
    expect(Array.from(permuted)).toEqual(
      [base[2], base[0], base[3], base[1]].map((v) => expect.closeTo(v, 10)),
    );
    // Changing group 3's features changes group 0's logit (only through the context).
    const changed = rows.map((r) => Float32Array.from(r));
    changed[3][0] += 1;
    expect(
      Math.abs(policyForwardHost(phi.config, phi.params, changed).keepLogits[0] - base[0]),
    ).toBeGreaterThan(1e-4);
  });

  it('rejects features and parameters of the wrong shape', () => {
    const { tf } = rt;
    const phi = createPolicyNetwork({ hidden: 4 });
    const p = paramsToTensors(tf, phi.config, phi.params);
    expect(() => policyForward(tf, phi.config, p, tf.zeros([2, FEATURE_COUNT - 1]) as never)).toThrow(
      expect.objectContaining({ code: 'MC_SHAPE_MISMATCH' }),
    );
    expect(() =>
      policyForward(
        tf,
        phi.config,
        { ...p, 'keep.bias': tf.zeros([2]) },
        tf.zeros([2, FEATURE_COUNT]) as never,
      ),
    ).toThrow(expect.objectContaining({ code: 'MC_SHAPE_MISMATCH', details: { field: 'params.keep.bias' } }));
    expect(() => policyForwardHost(phi.config, phi.params, [])).toThrow(
      expect.objectContaining({ code: 'MC_SHAPE_MISMATCH' }),
    );
    expect(() =>
      paramsToTensors(tf, phi.config, { ...phi.params, 'keep.bias': new Float32Array(3) }),
    ).toThrow(expect.objectContaining({ code: 'MC_INVALID_ARGUMENT' }));
    expect(tensorsToParams(p)).toEqual(phi.params);
  });

  it.each(['relu', 'tanh'] as const)(
    '(%s) has first and second derivatives that match finite differences',
    (activation) => {
      const { tf } = rt;
      const phi = denseNetwork(activation, 9);
      const rows = randomRows(3, 4);
      const names = Object.keys(phi.params);
      const rng = createRng(11);
      const direction = Object.fromEntries(
        names.map((n) => [n, Float32Array.from(phi.params[n], () => rng.normal())]),
      );
      const cKeep = [0.7, -1.1, 0.4];
      // L(θ) = Σ c_g · tanh(keep_g) + Σ bitLogits² / 10: nonlinear in the outputs, so second derivatives mix.
      const loss = (p: TensorParams) => {
        const out = policyForward(
          tf,
          phi.config,
          p,
          tf.tensor2d(Float32Array.from(rows.flatMap((r) => [...r])), [3, FEATURE_COUNT]),
        );
        return tf.add(
          tf.sum(tf.mul(tf.tanh(out.keepLogits), tf.tensor1d(cKeep))),
          tf.div(tf.sum(tf.square(out.bitLogits)), 10),
        );
      };
      const gradAt = (params: Record<string, Float32Array>) =>
        onHost(() => {
          const p = paramsToTensors(tf, phi.config, params);
          const g = tf.grads(
            (...xs: any[]) => loss(Object.fromEntries(names.map((n, i) => [n, xs[i]]))) as any,
          )(names.map((n) => p[n]));
          return g.map((t) => Float64Array.from(t.dataSync()));
        });
      const dot = (a: ArrayLike<number>[], b: Record<string, Float32Array>) =>
        a.reduce((s, v, i) => s + Array.from(v).reduce((t, x, j) => t + x * b[names[i]][j], 0), 0);
      const moved = (h: number) =>
        Object.fromEntries(
          names.map((n) => [n, Float32Array.from(phi.params[n], (v, j) => v + h * direction[n][j])]),
        );
      const lossAt = (params: Record<string, Float32Array>) =>
        tf.tidy(() => loss(paramsToTensors(tf, phi.config, params)).dataSync()[0]);

      // First order: directional derivative.
      // ReLU kinks: a small step so that no unit changes sign.
      const h = activation === 'relu' ? 1e-3 : 1e-2;
      const fd1 = (lossAt(moved(h)) - lossAt(moved(-h))) / (2 * h);
      const g = gradAt(phi.params);
      expect(Math.abs(dot(g, direction) - fd1)).toBeLessThan(1e-2 * Math.abs(fd1));
      expect(Math.abs(fd1)).toBeGreaterThan(1e-2);

      // Second order: Hessian-vector product by differentiating the gradient (what MAML needs).
      const hvp = onHost(() => {
        const p = paramsToTensors(tf, phi.config, phi.params);
        const v = names.map((n) => tf.tensor(direction[n], p[n].shape));
        const gv = (...xs: any[]) => {
          const inner = tf.grads(
            (...ys: any[]) => loss(Object.fromEntries(names.map((n, i) => [n, ys[i]]))) as any,
          )(xs);
          return inner.reduce((s, t, i) => tf.add(s, tf.sum(tf.mul(t, v[i]))), tf.scalar(0)) as any;
        };
        return tf
          .grads(gv)(names.map((n) => p[n]))
          .map((t) => Float64Array.from(t.dataSync()));
      });
      const gPlus = gradAt(moved(h));
      const gMinus = gradAt(moved(-h));
      let num = 0;
      let den = 0;
      hvp.forEach((t, i) =>
        t.forEach((x, j) => {
          const fd = (gPlus[i][j] - gMinus[i][j]) / (2 * h);
          num = Math.max(num, Math.abs(x - fd));
          den = Math.max(den, Math.abs(fd));
        }),
      );
      expect(den).toBeGreaterThan(1e-2);
      expect(num / den).toBeLessThan(2e-2);
    },
  );
});

describe('FEATURE_NAMES in a new network', () => {
  it('are the featurizer’s by default', () => {
    expect(createPolicyNetwork().config.featureNames).toBe(FEATURE_NAMES);
  });
});
