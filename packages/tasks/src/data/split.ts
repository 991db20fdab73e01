import { ErrorCodes, MetacompressError, createRng } from '@metacompress/core';
import type { TensorDataset } from './tensor-dataset';

/** How {@link splitDataset} carves out a validation set. */
export interface SplitOptions {
  /** A fraction in [0, 1) of the samples, or a whole number of samples (≥ 1). */
  validation: number;
  /** Seed of the permutation; the same seed always gives the same split. */
  seed: number;
  /** Keep each class's share equal in both parts (largest-remainder rounding). Default true. */
  stratify?: boolean;
}

/** The two parts of a split; each keeps the original sample order. */
export interface DatasetSplit {
  train: TensorDataset;
  validation: TensorDataset;
}

function shuffleInPlace(items: Int32Array, seed: number, label: string | number): void {
  const rng = createRng(seed).fork(label);
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
}

/**
 * Splits a dataset into train and validation parts, deterministically for a seed. With `stratify`
 * (the default) every class contributes its share of the validation set (quotas rounded by largest
 * remainder, so the total is exact); the samples chosen within a class come from a seeded shuffle.
 * Both parts keep the original order of their samples.
 *
 * @throws `MC_INVALID_ARGUMENT` for a validation size outside [0, 1) that is not a whole count below the length.
 * @example
 * const { train, validation } = splitDataset(await loadMnist({ split: 'train' }), { validation: 0.1, seed: 7 });
 * train.length; // 54000
 */
export function splitDataset(dataset: TensorDataset, options: SplitOptions): DatasetSplit {
  const { validation, seed, stratify = true } = options;
  const n = dataset.length;
  let k: number;
  if (validation >= 0 && validation < 1) k = Math.round(n * validation);
  else if (Number.isInteger(validation) && validation >= 1 && validation <= n) k = validation;
  else {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `validation must be a fraction in [0, 1) or a whole count in [1, ${n}], got ${validation}`,
      { field: 'validation', dataset: dataset.name },
    );
  }
  if (!Number.isFinite(seed)) throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `seed must be a number, got ${seed}`, { field: 'seed', dataset: dataset.name });
  const chosen = new Uint8Array(n);
  if (stratify) {
    const labels = dataset.labels();
    const byClass: number[][] = Array.from({ length: dataset.numClasses }, () => []);
    for (let i = 0; i < n; i++) byClass[labels[i]].push(i);
    const exact = byClass.map((members) => (n === 0 ? 0 : (k * members.length) / n));
    const quota = exact.map(Math.floor);
    let missing = k - quota.reduce((s, q) => s + q, 0);
    const byRemainder = exact.map((e, c) => ({ c, r: e - Math.floor(e) })).sort((x, y) => y.r - x.r || x.c - y.c);
    for (const { c } of byRemainder) {
      if (missing <= 0) break;
      if (quota[c] < byClass[c].length) {
        quota[c]++;
        missing--;
      }
    }
    byClass.forEach((members, c) => {
      const shuffled = Int32Array.from(members);
      shuffleInPlace(shuffled, seed, c);
      for (let i = 0; i < quota[c]; i++) chosen[shuffled[i]] = 1;
    });
  } else {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    shuffleInPlace(order, seed, 'all');
    for (let i = 0; i < k; i++) chosen[order[i]] = 1;
  }
  const trainPositions: number[] = [];
  const validationPositions: number[] = [];
  for (let i = 0; i < n; i++) (chosen[i] ? validationPositions : trainPositions).push(i);
  return {
    train: dataset.subset(trainPositions, `${dataset.name}[train]`),
    validation: dataset.subset(validationPositions, `${dataset.name}[validation]`),
  };
}
