import type { Dataset, ProgressReporter } from '@metacompress/core';
import { ErrorCodes, MetacompressError, describe } from '@metacompress/core';
import type { Graph } from '@metacompress/ir';
import { checkAlpha } from '../losses/distillation-loss';
import { checkTemperature } from '../losses/loss-inputs';
import { createOptimizer, type OptimizerConfig } from '../optim/optimizer';
import { parseLrSchedule, type LrSchedule } from '../schedule/lr-schedule';
import type { FakeQuantSpec } from '../qat/fake-quant';
import type { HintPoint } from './hint-points';
import type { ModelFactory } from './trainable-model';

/**
 * What the fine-tune reports after every step (for callbacks and tests).
 *
 * @example
 * finetune(g, { train, steps: 100, onStep: (s: StepInfo) => console.log(s.step, s.loss, s.soft, s.hard) });
 */
export interface StepInfo {
  /** 1-based number of the step just finished. */
  step: number;
  totalSteps: number;
  epoch: number;
  lr: number;
  loss: number;
  /** Unweighted parts: soft-target term, hard-label cross-entropy, hint term (when used). */
  soft?: number;
  hard: number;
  hint?: number;
}

/**
 * One validation pass.
 *
 * @example
 * result.evaluations.map((e: EvaluationRecord) => `${e.step}: ${e.accuracy}`);
 */
export interface EvaluationRecord {
  /** Steps done when it ran (0: before training). */
  step: number;
  accuracy: number;
  loss: number;
}

/**
 * Options of {@link finetune}. Exactly one of `steps` and `epochs` sets the budget.
 *
 * @example
 * const options: FinetuneOptions = { train, validation, teacher, epochs: 1, temperature: 4, alpha: 0.9 };
 */
export interface FinetuneOptions {
  /** Training data, laid out to fit the student's input. */
  train: Dataset;
  /** Validation data: evaluated every `evalEvery` steps; drives early stopping and `restoreBest`. */
  validation?: Dataset;
  /** The teacher (usually the uncompressed original). Without one the fine-tune is plain cross-entropy. */
  teacher?: Graph;
  /** Budget in optimizer steps. */
  steps?: number;
  /** Budget in epochs of `train` (fractions allowed: 0.25 = a quarter epoch). */
  epochs?: number;
  /** Samples per step (default 64; clamped to the dataset size). */
  batchSize?: number;
  /** Learning-rate schedule (default cosine from 1e-3 for Adam, 1e-2 for SGD, to 0). */
  schedule?: LrSchedule;
  /** Optimizer (default Adam). */
  optimizer?: OptimizerConfig;
  /** Soft-target temperature T (default 4). */
  temperature?: number;
  /** Weight of the soft-target term (default 0.9 with a teacher; must be 0 or absent without one). */
  alpha?: number;
  /** Feature hints: `none` (default), `auto` (matching coupling groups), or explicit points. */
  hints?: 'none' | 'auto' | readonly HintPoint[];
  /** Weight β of the mean hint loss (default 1). */
  hintWeight?: number;
  /** Validate every this many steps (default: once per epoch, and always at the end). */
  evalEvery?: number;
  /** Validate on at most this many samples (default: all). */
  evalLimit?: number;
  /** Batch size of validation passes (default 256). */
  evalBatchSize?: number;
  /** Stop after this many validations without improvement (default: never stop early). */
  patience?: number;
  /** Smallest accuracy gain that counts as improvement (default 0). */
  minDelta?: number;
  /** Return the weights of the best validation instead of the last ones (default true with validation). */
  restoreBest?: boolean;
  /** Validate before the first step too, so `restoreBest` can keep the starting weights (default true with validation). */
  evalAtStart?: boolean;
  /** Checkpoint file (written atomically). */
  checkpoint?: string;
  /** Write the checkpoint every this many steps (default: after every validation; always at the end and on abort). */
  checkpointEvery?: number;
  /** Continue from `checkpoint` when it exists (default true). */
  resume?: boolean;
  /** Seed of data order and adapter initialization (default 0). */
  seed?: number;
  /** Where progress events go. */
  progress?: ProgressReporter;
  /** Task name in progress events (default `distill`). */
  task?: string;
  /** Emit a progress event every this many steps (default 10). */
  progressEvery?: number;
  /** Cancels the fine-tune; the checkpoint is written first, then `MC_ABORTED` is thrown. */
  signal?: AbortSignal;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
  /** Which float initializers of the student to train (default: all). */
  trainable?: (initializer: string) => boolean;
  /** Quantization-aware training: fake-quantize these weights/activations with a straight-through estimator. */
  fakeQuant?: readonly FakeQuantSpec[];
  /**
   * BatchNormalization while training: `frozen` (default; running statistics, as in inference),
   * `batch` (batch statistics, running ones updated), or `insert`: add a function-preserving BN
   * after every convolution that has none (calibrated on a few training batches), train with batch
   * statistics, and fold every BN into its convolution at the end — for BN-folded models, which
   * otherwise recover far more slowly after pruning.
   */
  batchNorm?: 'frozen' | 'batch' | 'insert';
  /** Batches of `train` (in order, unshuffled) that calibrate inserted BatchNormalizations (default 8). */
  calibrationBatches?: number;
  /** Turns graphs into trainable models (default: the IR executor of `@metacompress/backend-tfjs`). */
  model?: ModelFactory;
}

/**
 * The options after validation, with defaults filled and the budget in steps.
 *
 * @example
 * resolveFinetune(student, { train, epochs: 1 }).totalSteps; // steps of one epoch
 */
export interface ResolvedFinetune {
  totalSteps: number;
  stepsPerEpoch: number;
  batchSize: number;
  schedule: LrSchedule;
  optimizer: OptimizerConfig;
  temperature: number;
  alpha: number;
  hintWeight: number;
  evalEvery: number;
  evalBatchSize: number;
  evalLimit?: number;
  patience?: number;
  minDelta: number;
  restoreBest: boolean;
  evalAtStart: boolean;
  checkpointEvery?: number;
  seed: number;
  progressEvery: number;
  batchNorm: 'frozen' | 'batch' | 'insert';
  calibrationBatches: number;
}

function bad(field: string, expected: string, value: unknown): never {
  throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected ${expected}, got ${describe(value)}`, {
    field,
  });
}

function int(value: unknown, field: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    bad(field, `an integer ≥ ${min}`, value);
  return value;
}

/**
 * Output dims of a graph's first output, when declared.
 *
 * @example
 * outputDims(graph); // ['N', 10]
 */
export function outputDims(graph: Graph): readonly (number | string | null)[] | undefined {
  const t = graph.outputs[0]?.type;
  return t?.kind === 'tensor' ? t.shape : undefined;
}

/**
 * Validates fine-tune options against the student and fills defaults. Bad input throws typed
 * errors naming the field: a zero budget, both or neither of steps/epochs, an empty dataset, a
 * teacher whose output shape differs from the student's (`MC_SHAPE_MISMATCH`), α > 0 without a teacher.
 *
 * @example
 * resolveFinetune(student, { train, steps: 0 }); // throws MC_INVALID_ARGUMENT (field 'steps')
 */
export function resolveFinetune(student: Graph, options: FinetuneOptions): ResolvedFinetune {
  const { train } = options;
  if (!train || typeof train.batches !== 'function') bad('train', 'a Dataset', train);
  if (train.length === 0)
    throw new MetacompressError(ErrorCodes.EMPTY_DATASET, `training set '${train.name}' is empty`, {
      field: 'train',
    });
  if (options.validation && options.validation.length === 0) {
    throw new MetacompressError(
      ErrorCodes.EMPTY_DATASET,
      `validation set '${options.validation.name}' is empty`,
      { field: 'validation' },
    );
  }
  if (!student || !Array.isArray(student.nodes) || student.outputs.length === 0)
    bad('student', 'a Graph with at least one output', student);
  if (options.teacher) {
    const s = outputDims(student);
    const t = outputDims(options.teacher);
    if (
      s &&
      t &&
      (s.length !== t.length ||
        s.some((d, i) => typeof d === 'number' && typeof t[i] === 'number' && d !== t[i]))
    ) {
      throw new MetacompressError(
        ErrorCodes.SHAPE_MISMATCH,
        `teacher output '${options.teacher.outputs[0]!.name}' [${t.join(', ')}] and student output '${student.outputs[0]!.name}' [${s.join(', ')}] differ in shape`,
        { field: 'teacher' },
      );
    }
  }
  if ((options.steps === undefined) === (options.epochs === undefined)) {
    bad('steps', 'exactly one of steps and epochs', { steps: options.steps, epochs: options.epochs });
  }
  const batchSize = Math.min(int(options.batchSize, 'batchSize', 1) ?? 64, train.length);
  const stepsPerEpoch = Math.floor(train.length / batchSize);
  let totalSteps: number;
  if (options.steps !== undefined) {
    if (typeof options.steps !== 'number' || !Number.isInteger(options.steps) || options.steps < 1) {
      bad('steps', 'a budget of at least 1 step', options.steps);
    }
    totalSteps = options.steps;
  } else {
    const e = options.epochs;
    if (typeof e !== 'number' || !Number.isFinite(e) || e <= 0)
      bad('epochs', 'a budget of more than 0 epochs', e);
    totalSteps = Math.max(1, Math.round(e * stepsPerEpoch));
  }
  const optimizer = options.optimizer ?? { kind: 'adam' };
  createOptimizer(optimizer).dispose(); // validates
  const schedule = parseLrSchedule(
    options.schedule ?? { kind: 'cosine', lr: optimizer.kind === 'sgd' ? 1e-2 : 1e-3 },
  );
  const temperature = options.temperature ?? 4;
  checkTemperature(temperature);
  if (!options.teacher && options.alpha !== undefined && options.alpha !== 0) {
    bad('alpha', 'alpha 0 (or a teacher): the soft-target term needs a teacher', options.alpha);
  }
  if (!options.teacher && options.hints !== undefined && options.hints !== 'none')
    bad('hints', "'none' without a teacher", options.hints);
  const alpha = options.teacher ? (options.alpha ?? 0.9) : 0;
  checkAlpha(alpha);
  const hintWeight = options.hintWeight ?? 1;
  if (typeof hintWeight !== 'number' || !Number.isFinite(hintWeight) || hintWeight < 0)
    bad('hintWeight', 'a finite number ≥ 0', hintWeight);
  const minDelta = options.minDelta ?? 0;
  if (typeof minDelta !== 'number' || !Number.isFinite(minDelta) || minDelta < 0)
    bad('minDelta', 'a finite number ≥ 0', minDelta);
  const hasValidation = options.validation !== undefined;
  if (options.patience !== undefined && !hasValidation)
    bad('patience', 'no patience without a validation set', options.patience);
  if (options.restoreBest === true && !hasValidation)
    bad('restoreBest', 'restoreBest only with a validation set', true);
  const batchNorm = options.batchNorm ?? 'frozen';
  if (!['frozen', 'batch', 'insert'].includes(batchNorm))
    bad('batchNorm', 'frozen, batch or insert', batchNorm);
  if (batchNorm === 'insert' && (options.fakeQuant?.length ?? 0) > 0) {
    bad(
      'batchNorm',
      "'frozen' or 'batch' with fake quantization (folding inserted BNs would move weights off their quantization grid)",
      batchNorm,
    );
  }
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) bad('seed', 'an integer', seed);
  return {
    totalSteps,
    stepsPerEpoch,
    batchSize,
    schedule,
    optimizer,
    temperature,
    alpha,
    hintWeight,
    evalEvery: int(options.evalEvery, 'evalEvery', 1) ?? Math.min(stepsPerEpoch, totalSteps),
    evalBatchSize: int(options.evalBatchSize, 'evalBatchSize', 1) ?? 256,
    ...(options.evalLimit !== undefined ? { evalLimit: int(options.evalLimit, 'evalLimit', 1) } : {}),
    ...(options.patience !== undefined ? { patience: int(options.patience, 'patience', 1) } : {}),
    minDelta,
    restoreBest: options.restoreBest ?? hasValidation,
    evalAtStart: options.evalAtStart ?? hasValidation,
    ...(options.checkpointEvery !== undefined
      ? { checkpointEvery: int(options.checkpointEvery, 'checkpointEvery', 1) }
      : {}),
    seed,
    progressEvery: int(options.progressEvery, 'progressEvery', 1) ?? 10,
    batchNorm,
    calibrationBatches: int(options.calibrationBatches, 'calibrationBatches', 1) ?? 8,
  };
}
