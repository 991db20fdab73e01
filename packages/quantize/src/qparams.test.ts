import { describe, expect, it } from 'vitest';
import { thrownBy } from './test-helpers';
import { computeQuantParams, dequantizeValues, quantRange, quantizeValues, roundHalfEven } from './qparams';

describe('quantRange', () => {
  it('gives the levels of each type, narrow range dropping the lowest signed level', () => {
    expect(quantRange('int8')).toEqual([-128, 127]);
    expect(quantRange('uint8')).toEqual([0, 255]);
    expect(quantRange('int4', { narrowRange: true })).toEqual([-7, 7]);
    expect(quantRange('uint2')).toEqual([0, 3]);
  });
});

describe('computeQuantParams', () => {
  it('maps an asymmetric range onto uint8 with zero exactly representable', () => {
    const p = computeQuantParams(-1, 3, { dataType: 'uint8' });
    expect(p.scale[0]).toBeCloseTo(4 / 255, 7);
    const z = p.zeroPoint[0];
    expect(Number.isInteger(z)).toBe(true);
    expect(dequantizeValues([z], p)[0]).toBe(0);
    const q = quantizeValues([-1, 0, 3], p);
    expect(q[0]).toBe(0);
    expect(q[2]).toBe(255);
  });

  it('puts the zero point at the bottom for a non-negative range (what lets a runtime drop a Relu)', () => {
    expect(computeQuantParams(0, 6, { dataType: 'uint8' }).zeroPoint[0]).toBe(0);
    expect(computeQuantParams(0, 6, { dataType: 'int8' }).zeroPoint[0]).toBe(-128);
  });

  it('widens a range that excludes zero', () => {
    const p = computeQuantParams(2, 4, { dataType: 'uint8' });
    expect(p.zeroPoint[0]).toBe(0);
    expect(p.scale[0]).toBeCloseTo(4 / 255, 7);
  });

  it('symmetric ranges use the largest magnitude, zero point 0 (signed) or the middle (unsigned)', () => {
    const s = computeQuantParams(-0.5, 2, { dataType: 'int8', symmetric: true, narrowRange: true });
    expect(s.scale[0]).toBeCloseTo(2 / 127, 7);
    expect(s.zeroPoint[0]).toBe(0);
    expect(computeQuantParams(-1, 1, { dataType: 'uint8', symmetric: true }).zeroPoint[0]).toBe(128);
  });

  it('is per channel for arrays and keeps the axis', () => {
    const p = computeQuantParams([-1, -2], [1, 2], { dataType: 'int8', symmetric: true, axis: 0 });
    expect(p.scale.length).toBe(2);
    expect(p.scale[1]).toBeCloseTo(2 * p.scale[0], 6);
    expect(p.axis).toBe(0);
  });

  it('gives scale 1 for an all-zero range', () => {
    expect(computeQuantParams(0, 0, { dataType: 'uint8' }).scale[0]).toBe(1);
  });

  it('rejects non-finite ranges', () => {
    expect(() => computeQuantParams(Number.NaN, 1, { dataType: 'uint8' })).toThrow(/not finite/);
    expect(thrownBy(() => computeQuantParams(0, Infinity, { dataType: 'uint8' })).code).toBe(
      'MC_NAN_WEIGHTS',
    );
  });
});

describe('quantizeValues / dequantizeValues', () => {
  it('round-trip within half a step inside the range and clamp outside', () => {
    const p = computeQuantParams(-2, 2, { dataType: 'int8' });
    const xs = Float32Array.from({ length: 101 }, (_, i) => -2 + (4 * i) / 100);
    const back = dequantizeValues(quantizeValues(xs, p), p);
    for (let i = 0; i < xs.length; i++)
      expect(Math.abs(back[i] - xs[i])).toBeLessThanOrEqual(p.scale[0] / 2 + 1e-7);
    expect(dequantizeValues(quantizeValues([100], p), p)[0]).toBeCloseTo(
      127 * p.scale[0] - p.zeroPoint[0] * p.scale[0],
      5,
    );
  });

  it('applies per-channel parameters along the axis', () => {
    const p = computeQuantParams([-1, -10], [1, 10], {
      dataType: 'int8',
      symmetric: true,
      narrowRange: true,
      axis: 1,
    });
    const q = quantizeValues([1, 10, -1, -10], p, [2, 2]);
    expect(Array.from(q)).toEqual([127, 127, -127, -127]);
    expect(() => quantizeValues([1, 2, 3], p, [3, 1])).toThrow(/channel parameters/);
  });

  it('rounds half to even like QuantizeLinear', () => {
    expect(roundHalfEven(0.5)).toBe(0);
    expect(roundHalfEven(1.5)).toBe(2);
    expect(roundHalfEven(-2.5)).toBe(-2);
    expect(roundHalfEven(2.4)).toBe(2);
  });
});
