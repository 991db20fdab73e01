import { isMetacompressError } from '@metacompress/core';
import { describe, expect, it } from 'vitest';
import { learningRateAt, parseLrSchedule, type LrSchedule } from './lr-schedule';

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    if (isMetacompressError(error, 'MC_INVALID_ARGUMENT')) return String(error.details.field);
    throw error;
  }
  return undefined;
}

describe('learningRateAt', () => {
  it('constant stays at lr', () => {
    for (const s of [0, 5, 99]) expect(learningRateAt({ kind: 'constant', lr: 0.1 }, s, 100)).toBe(0.1);
  });

  it('cosine runs from lr to minLr, through the midpoint at half way, monotonically', () => {
    const s: LrSchedule = { kind: 'cosine', lr: 1, minLr: 0.1 };
    expect(learningRateAt(s, 0, 101)).toBeCloseTo(1, 12);
    expect(learningRateAt(s, 50, 101)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(s, 100, 101)).toBeCloseTo(0.1, 12);
    let last = Infinity;
    for (let i = 0; i < 101; i++) {
      const lr = learningRateAt(s, i, 101);
      expect(lr).toBeLessThanOrEqual(last);
      last = lr;
    }
  });

  it('step multiplies by gamma every stepSize steps after the warm-up', () => {
    const s: LrSchedule = { kind: 'step', lr: 1, stepSize: 10, gamma: 0.5, warmupSteps: 5 };
    expect(learningRateAt(s, 5, 100)).toBe(1);
    expect(learningRateAt(s, 14, 100)).toBe(1);
    expect(learningRateAt(s, 15, 100)).toBe(0.5);
    expect(learningRateAt(s, 35, 100)).toBe(0.125);
  });

  it('warms up linearly to lr, then the decay starts from lr', () => {
    const s: LrSchedule = { kind: 'cosine', lr: 0.4, warmupSteps: 4 };
    expect([0, 1, 2, 3].map((i) => learningRateAt(s, i, 20))).toEqual([0.1, 0.2, 0.30000000000000004, 0.4]);
    expect(learningRateAt(s, 4, 20)).toBeCloseTo(0.4, 12);
    expect(learningRateAt(s, 19, 20)).toBeCloseTo(0, 12);
  });
});

describe('parseLrSchedule', () => {
  it('accepts valid schedules and returns clean copies that survive JSON', () => {
    const s = parseLrSchedule({ kind: 'cosine', lr: 0.01, minLr: 0.001, warmupSteps: 10 });
    expect(s).toEqual({ kind: 'cosine', lr: 0.01, minLr: 0.001, warmupSteps: 10 });
    expect(parseLrSchedule(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(parseLrSchedule({ kind: 'step', lr: 1, stepSize: 3 })).toEqual({
      kind: 'step',
      lr: 1,
      stepSize: 3,
    });
  });

  it('names the bad field', () => {
    expect(fieldOf(() => parseLrSchedule({ kind: 'linear', lr: 1 }))).toBe('schedule.kind');
    expect(fieldOf(() => parseLrSchedule({ kind: 'constant', lr: 0 }))).toBe('schedule.lr');
    expect(fieldOf(() => parseLrSchedule({ kind: 'constant', lr: Number.NaN }))).toBe('schedule.lr');
    expect(fieldOf(() => parseLrSchedule({ kind: 'step', lr: 1 }))).toBe('schedule.stepSize');
    expect(fieldOf(() => parseLrSchedule({ kind: 'step', lr: 1, stepSize: 2.5 }))).toBe('schedule.stepSize');
    expect(fieldOf(() => parseLrSchedule({ kind: 'cosine', lr: 1, minLr: 2 }))).toBe('schedule.minLr');
    expect(fieldOf(() => parseLrSchedule({ kind: 'constant', lr: 1, warmupSteps: -1 }))).toBe(
      'schedule.warmupSteps',
    );
    expect(fieldOf(() => parseLrSchedule({ kind: 'constant', lr: 1, gamma: 0.5 }))).toBe('schedule.gamma');
    expect(fieldOf(() => parseLrSchedule('cosine'))).toBe('schedule.');
  });
});
