import { initTfjs, type TfjsRuntime } from '@metacompress/backend-tfjs/base';
import { beforeAll, describe, expect, it } from 'vitest';
import { hardChannelMask, rankChannels, softChannelMask, softGroupMasks } from './soft-masks';

let rt: TfjsRuntime;
beforeAll(async () => {
  rt = await initTfjs({ prefer: ['cpu'] });
});

function mask(keep: number, ranks: ArrayLike<number>, tau: number): Float32Array {
  const { tf } = rt;
  return tf.tidy(() => softChannelMask(tf, tf.scalar(keep), ranks, tau).dataSync() as Float32Array);
}

/** A deterministic permutation of 0 … n − 1. */
const permutation = (n: number) => Int32Array.from({ length: n }, (_, j) => (j * 37 + 11) % n);

describe('rankChannels', () => {
  it('ranks by descending score, ties to the lower index', () => {
    expect(Array.from(rankChannels([0.2, 0.9, 0.5]))).toEqual([2, 0, 1]);
    expect(Array.from(rankChannels([1, 3, 1, 3]))).toEqual([2, 0, 3, 1]);
    expect(() => rankChannels([1, Number.NaN])).toThrow(
      expect.objectContaining({ code: 'MC_INVALID_ARGUMENT' }),
    );
  });
});

describe('softChannelMask', () => {
  const c = 64;
  const ranks = permutation(c);

  it('sums to ≈ keep·C', () => {
    for (const tau of [0.3, 0.5, 1]) {
      for (const keep of [0.2, 0.37, 0.5, 0.8]) {
        const sum = mask(keep, ranks, tau).reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - keep * c), `τ=${tau} keep=${keep}`).toBeLessThan(0.05);
      }
    }
  });

  it('follows the ranking: a channel ranked better never gets less', () => {
    const m = mask(0.4, ranks, 0.5);
    for (let a = 0; a < c; a++)
      for (let b = 0; b < c; b++) if (ranks[a] < ranks[b]) expect(m[a]).toBeGreaterThanOrEqual(m[b]);
  });

  it('has a derivative in keep that matches finite differences', () => {
    const { tf } = rt;
    for (const [keep, tau] of [
      [0.3, 0.5],
      [0.61, 1],
      [0.5, 2],
    ]) {
      const grads = tf.tidy(() => {
        const jac: number[] = [];
        for (const j of [0, 5, 17, 40]) {
          jac.push(
            tf
              .grad((k: any) => tf.gather(softChannelMask(tf, k, ranks, tau), j) as any)(tf.scalar(keep))
              .dataSync()[0],
          );
        }
        return jac;
      });
      const h = 1e-3;
      [0, 5, 17, 40].forEach((j, i) => {
        const fd = (mask(keep + h, ranks, tau)[j] - mask(keep - h, ranks, tau)[j]) / (2 * h);
        expect(grads[i]).toBeCloseTo(fd, 1);
        // closed form: C σ'(z) / τ
        const z = (keep * c - ranks[j] - 0.5) / tau;
        const s = 1 / (1 + Math.exp(-z));
        expect(grads[i]).toBeCloseTo((c * s * (1 - s)) / tau, 2);
      });
      // The derivative of the sum is ≈ C: each unit of keep adds C channels.
      const dsum = tf.tidy(
        () =>
          tf
            .grad((k: any) => tf.sum(softChannelMask(tf, k, ranks, tau)) as any)(tf.scalar(keep))
            .dataSync()[0],
      );
      expect(dsum / c).toBeCloseTo(1, 2);
    }
  });

  it('approaches the hard mask as τ → 0', () => {
    for (const keep of [0.1, 0.33, 0.77]) {
      const hard = hardChannelMask(Math.round(keep * c), ranks);
      expect(hard.reduce((a, b) => a + b, 0)).toBe(Math.round(keep * c));
      const taus = [1, 0.1, 0.01, 0.001];
      const errors = taus.map((tau) =>
        Math.max(...mask(keep, ranks, tau).map((v, j) => Math.abs(v - hard[j]))),
      );
      // The largest error sits at the channel nearest the cut, d = |keep·C − (rank + 0.5)| away: σ(−d/τ).
      const d = Math.abs(keep * c - 0.5 - Math.round(keep * c - 0.5));
      taus.forEach((tau, i) => expect(errors[i]).toBeCloseTo(1 / (1 + Math.exp(d / tau)), 4));
      expect(errors[3]).toBeLessThan(1e-6);
      for (let i = 1; i < taus.length; i++) expect(errors[i]).toBeLessThan(errors[i - 1]);
    }
  });

  it('rejects bad rankings, temperatures and keeps', () => {
    const { tf } = rt;
    expect(() => mask(0.5, [0, 0, 1], 1)).toThrow(
      expect.objectContaining({ code: 'MC_INVALID_ARGUMENT', details: { field: 'ranks' } }),
    );
    expect(() => mask(0.5, [0, 1], 0)).toThrow(
      expect.objectContaining({ details: { field: 'temperature' } }),
    );
    expect(() => softChannelMask(tf, tf.tensor1d([0.5, 0.5]), [0, 1], 1)).toThrow(
      expect.objectContaining({ code: 'MC_SHAPE_MISMATCH' }),
    );
  });
});

describe('softGroupMasks', () => {
  it('makes one mask per group, keyed by id, differentiable in every keep', () => {
    const { tf } = rt;
    const rankings = [
      { id: 'a', ranks: [1, 0, 2, 3] },
      { id: 'b', ranks: permutation(10) },
    ];
    const out = tf.tidy(() => {
      const masks = softGroupMasks(tf, tf.tensor1d([0.5, 0.3]), rankings, { temperature: 0.1 });
      return Object.fromEntries(Object.entries(masks).map(([k, v]) => [k, Array.from(v.dataSync())]));
    });
    expect(Object.keys(out)).toEqual(['a', 'b']);
    expect(out.a.map((v) => Math.round(v))).toEqual([1, 1, 0, 0]);
    expect(out.b.length).toBe(10);
    expect(out.b.reduce((s, v) => s + v, 0)).toBeCloseTo(3, 3);
    const g = tf.tidy(() =>
      Array.from(
        tf
          .grad(
            (k: any) =>
              tf.sum(
                tf.stack(
                  Object.values(
                    softGroupMasks(tf, k, [rankings[0], { id: 'c', ranks: [0, 1, 2, 3] }], {
                      temperature: 1,
                    }),
                  ),
                ),
              ) as any,
          )(tf.tensor1d([0.5, 0.5]))
          .dataSync(),
      ),
    );
    g.forEach((v) => expect(v).toBeGreaterThan(1));
    expect(() => softGroupMasks(tf, tf.tensor1d([0.5]), rankings, { temperature: 1 })).toThrow(
      expect.objectContaining({ code: 'MC_SHAPE_MISMATCH' }),
    );
    expect(() =>
      softGroupMasks(tf, tf.tensor1d([0.5, 0.5]), [rankings[0], { id: 'bad', ranks: [0, 2] }], {
        temperature: 1,
      }),
    ).toThrow(expect.objectContaining({ details: expect.objectContaining({ group: 'bad' }) }));
  });
});
