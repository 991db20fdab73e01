import type { DenseTensor } from '@metacompress/core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/** What a classifier's first output holds: raw scores (logits) or a probability distribution. */
export type ScoreKind = 'logits' | 'probabilities';

/**
 * Guesses whether rows of class scores are probabilities (every row in [0, 1] summing to 1 within
 * 1e-3) or logits (anything else).
 *
 * @example
 * detectScoreKind(new Float32Array([0.2, 0.8]), 1, 2); // 'probabilities'
 * detectScoreKind(new Float32Array([2.1, -0.3]), 1, 2); // 'logits'
 */
export function detectScoreKind(scores: ArrayLike<number>, rows: number, classes: number): ScoreKind {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = scores[r * classes + c];
      if (!(v >= 0 && v <= 1)) return 'logits';
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) return 'logits';
  }
  return 'probabilities';
}

/** Correct top-1 predictions and summed cross-entropy of one batch. */
export interface BatchScore {
  correct: number;
  /** Sum over samples of −log p(label); NaN when a row holds NaN. */
  lossSum: number;
}

/**
 * Top-1 hits and summed cross-entropy of `rows` samples whose class scores are stored row-major,
 * `classes` per row (log-softmax for logits, −log p clamped at 1e-12 for probabilities). Ties go
 * to the lowest class index. Throws `MC_LABEL_OUT_OF_RANGE` for a label outside [0, classes).
 *
 * @example
 * scoreRows(new Float32Array([2, 0, 0, 3]), 2, 2, new Int32Array([0, 0]), 'logits'); // { correct: 1, lossSum: ≈3.18 }
 */
export function scoreRows(scores: ArrayLike<number>, rows: number, classes: number, labels: Int32Array, kind: ScoreKind): BatchScore {
  let correct = 0;
  let lossSum = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels[r];
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new MetacompressError(ErrorCodes.LABEL_OUT_OF_RANGE, `label ${label} of sample ${r} of the batch is outside [0, ${classes})`, {
        field: 'labels',
      });
    }
    const base = r * classes;
    let best = 0;
    let max = scores[base];
    for (let c = 1; c < classes; c++) {
      const v = scores[base + c];
      if (v > max || Number.isNaN(max)) {
        max = v;
        best = c;
      }
    }
    if (best === label) correct++;
    if (kind === 'probabilities') {
      lossSum -= Math.log(Math.max(scores[base + label], 1e-12));
    } else {
      let sumExp = 0;
      for (let c = 0; c < classes; c++) sumExp += Math.exp(scores[base + c] - max);
      lossSum += Math.log(sumExp) + max - scores[base + label];
    }
  }
  return { correct, lossSum };
}

/**
 * The class scores of a classifier output as numbers, with `rows` samples and the class count
 * (the product of all dims after the first). Throws `MC_UNSUPPORTED_DTYPE` for non-float outputs
 * and `MC_SHAPE_MISMATCH` when the output does not hold `rows` samples.
 *
 * @example
 * classScores({ dims: [64, 10], data }, 64, 'logits'); // { scores: data, classes: 10 }
 */
export function classScores(output: DenseTensor, rows: number, name: string): { scores: ArrayLike<number>; classes: number } {
  const data = output.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new MetacompressError(
      ErrorCodes.UNSUPPORTED_DTYPE,
      `output '${name}' holds ${data.constructor.name} values; accuracy needs float class scores as the first output`,
      { field: name },
    );
  }
  if (output.dims[0] !== rows || rows === 0 || data.length % rows !== 0) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `output '${name}' has dims [${output.dims.join(', ')}], expected ${rows} rows of class scores`,
      { field: name },
    );
  }
  return { scores: data, classes: data.length / rows };
}
