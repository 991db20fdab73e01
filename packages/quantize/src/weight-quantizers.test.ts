import { describe, expect, it } from 'vitest';
import { bitsOfScheme, dequantizeWeight, quantizeWeight } from './weight-quantizers';
import { relativeRms } from './weight-only';
import { randomValues, thrownBy } from './test-helpers';

const dims = [8, 3, 3, 3];
const w = randomValues(8 * 27, 42, 0.3);
// Give channels different magnitudes so per-channel scales matter.
for (let c = 0; c < 8; c++) for (let i = 0; i < 27; i++) w[c * 27 + i] *= 1 + c;

describe('quantizeWeight', () => {
  it('int8 per channel: symmetric narrow range, error within half a step per channel', () => {
    const q = quantizeWeight(w, dims, { scheme: 'int8' });
    expect(q.scale.length).toBe(8);
    expect(q.codeRange).toEqual([-127, 127]);
    expect(Array.from(q.zeroPoint).every((z) => z === 0)).toBe(true);
    const back = dequantizeWeight(q);
    for (let i = 0; i < w.length; i++)
      expect(Math.abs(back[i] - w[i])).toBeLessThanOrEqual(q.scale[Math.floor(i / 27)] / 2 + 1e-7);
    // The largest magnitude of each channel maps to ±127.
    for (let c = 0; c < 8; c++)
      expect(Math.max(...Array.from(q.codes.subarray(c * 27, c * 27 + 27), Math.abs))).toBe(127);
  });

  it('per channel beats per tensor when channels differ in scale', () => {
    const perChannel = relativeRms(w, dequantizeWeight(quantizeWeight(w, dims, { scheme: 'int4' })));
    const perTensor = relativeRms(
      w,
      dequantizeWeight(quantizeWeight(w, dims, { scheme: 'int4', perTensor: true })),
    );
    expect(perChannel).toBeLessThan(perTensor);
  });

  it('MSE clipping lowers the 4-bit error against min-max', () => {
    const big = randomValues(64 * 256, 5);
    // Heavy tails: cube the values.
    for (let i = 0; i < big.length; i++) big[i] = big[i] ** 3;
    const d = [64, 256];
    const mm = relativeRms(
      big,
      dequantizeWeight(quantizeWeight(big, d, { scheme: 'int4', method: 'minmax' })),
    );
    const ms = relativeRms(big, dequantizeWeight(quantizeWeight(big, d, { scheme: 'int4', method: 'mse' })));
    expect(ms).toBeLessThan(mm * 0.95);
  });

  it('uint8 asymmetric uses the whole range of each channel', () => {
    const q = quantizeWeight(w, dims, { scheme: 'uint8', symmetric: false });
    expect(q.codeRange).toEqual([0, 255]);
    for (let c = 0; c < 8; c++) {
      const codes = Array.from(q.codes.subarray(c * 27, c * 27 + 27));
      expect(Math.min(...codes)).toBe(0);
      expect(Math.max(...codes)).toBe(255);
    }
  });

  it('blocks: one scale per block of a channel', () => {
    const q = quantizeWeight(w, [8, 27], { scheme: 'int4', blockSize: 9 });
    expect(q.scale.length).toBe(24);
    expect(q.blockSize).toBe(9);
    const perBlock = relativeRms(w, dequantizeWeight(q));
    const perChannel = relativeRms(w, dequantizeWeight(quantizeWeight(w, [8, 27], { scheme: 'int4' })));
    expect(perBlock).toBeLessThanOrEqual(perChannel);
    expect(thrownBy(() => quantizeWeight(w, [8, 27], { scheme: 'int4', blockSize: 10 })).details.field).toBe(
      'weight.blockSize',
    );
  });

  it('binary: α · sign(w) with α the mean magnitude of the channel (XNOR-Net)', () => {
    const q = quantizeWeight(w, dims, { scheme: 'binary' });
    const back = dequantizeWeight(q);
    for (let c = 0; c < 8; c++) {
      const ch = w.subarray(c * 27, c * 27 + 27);
      const alpha = ch.reduce((a, v) => a + Math.abs(v), 0) / 27;
      for (let i = 0; i < 27; i++) expect(back[c * 27 + i]).toBeCloseTo(ch[i] >= 0 ? alpha : -alpha, 5);
    }
    expect(q.bits).toBe(1);
  });

  it('ternary: threshold 0.7·mean|w|, α the mean of the kept magnitudes (TWN)', () => {
    const q = quantizeWeight(w, dims, { scheme: 'ternary' });
    const back = dequantizeWeight(q);
    const ch = w.subarray(0, 27);
    const delta = (0.7 * ch.reduce((a, v) => a + Math.abs(v), 0)) / 27;
    const kept = Array.from(ch).filter((v) => Math.abs(v) > delta);
    const alpha = kept.reduce((a, v) => a + Math.abs(v), 0) / kept.length;
    for (let i = 0; i < 27; i++)
      expect(back[i]).toBeCloseTo(Math.abs(ch[i]) > delta ? Math.sign(ch[i]) * alpha : 0, 5);
    expect(new Set(Array.from(q.codes)).size).toBeLessThanOrEqual(3);
    expect(bitsOfScheme('ternary')).toBe(2);
  });

  it('error grows as bits shrink', () => {
    const errs = (['int8', 'int4', 'ternary', 'binary'] as const).map((scheme) =>
      relativeRms(w, dequantizeWeight(quantizeWeight(w, dims, { scheme }))),
    );
    for (let i = 1; i < errs.length; i++) expect(errs[i]).toBeGreaterThan(errs[i - 1]);
  });

  it('rejects NaN weights with MC_NAN_WEIGHTS naming the tensor', () => {
    const bad = Float32Array.from(w);
    bad[5] = Number.NaN;
    const e = thrownBy(() => quantizeWeight(bad, dims, { scheme: 'int8', name: 'conv1.weight' }));
    expect(e.code).toBe('MC_NAN_WEIGHTS');
    expect(e.details.field).toBe('conv1.weight');
  });
});
