import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { classScores, detectScoreKind, scoreRows } from './classification';

describe('classification scoring', () => {
  it('tells probabilities from logits', () => {
    expect(detectScoreKind(new Float32Array([0.25, 0.75, 1, 0]), 2, 2)).toBe('probabilities');
    expect(detectScoreKind(new Float32Array([0.25, 0.7, 1, 0]), 2, 2)).toBe('logits');
    expect(detectScoreKind(new Float32Array([2, -1]), 1, 2)).toBe('logits');
  });

  it('counts top-1 hits and sums the cross-entropy', () => {
    const logits = new Float32Array([2, 0, 0, 0, 3, 1]);
    const { correct, lossSum } = scoreRows(logits, 2, 3, new Int32Array([0, 2]), 'logits');
    expect(correct).toBe(1);
    const ce = (row: number[], label: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[label];
    expect(lossSum).toBeCloseTo(ce([2, 0, 0], 0) + ce([0, 3, 1], 2), 6);
    const probs = scoreRows(new Float32Array([0.1, 0.9]), 1, 2, new Int32Array([1]), 'probabilities');
    expect(probs.correct).toBe(1);
    expect(probs.lossSum).toBeCloseTo(-Math.log(0.9), 6);
  });

  it('breaks ties toward the lowest class and rejects labels out of range', () => {
    expect(scoreRows(new Float32Array([1, 1]), 1, 2, new Int32Array([0]), 'logits').correct).toBe(1);
    let error: unknown;
    try {
      scoreRows(new Float32Array([1, 1]), 1, 2, new Int32Array([2]), 'logits');
    } catch (e) {
      error = e;
    }
    expect(isMetacompressError(error, 'MC_LABEL_OUT_OF_RANGE')).toBe(true);
  });

  it('flattens trailing dims into classes and refuses integer outputs', () => {
    expect(classScores({ dims: [2, 3, 1, 1], data: new Float32Array(6) }, 2, 'y').classes).toBe(3);
    let error: unknown;
    try {
      classScores({ dims: [2], data: new BigInt64Array(2) }, 2, 'label');
    } catch (e) {
      error = e;
    }
    expect(isMetacompressError(error, 'MC_UNSUPPORTED_DTYPE')).toBe(true);
  });
});
