/**
 * @packageDocumentation
 * Knowledge distillation for Metacompress: soft-target losses with temperature (Hinton et al. 2015)
 * mixed with hard-label cross-entropy, feature hints with learned 1×1 adapters (Romero et al. 2015),
 * learning-rate schedules, optimizers with saveable state, atomic checkpoints, and the recovery
 * fine-tune that every compressed model gets (as a function and as the `distill` operator).
 *
 * @example
 * import { distillationLoss } from '@metacompress/distill';
 * const { loss } = distillationLoss(studentLogits, teacherLogits, labels, { temperature: 4, alpha: 0.9 });
 */
export { crossEntropy } from './losses/cross-entropy';
export { softTargetLoss } from './losses/soft-target-loss';
export {
  checkAlpha,
  distillationLoss,
  type DistillationLossOptions,
  type DistillationLossParts,
} from './losses/distillation-loss';
export { createHintAdapter, hintLoss, type HintAdapter, type HintAdapterOptions } from './losses/hint-loss';
export type { Labels } from './losses/loss-inputs';
export { LR_SCHEDULE_KINDS, learningRateAt, parseLrSchedule, type LrSchedule } from './schedule/lr-schedule';
export { createOptimizer, type NamedVariable, type Optimizer, type OptimizerConfig } from './optim/optimizer';
export type { NamedArray } from './checkpoint/named-array';
export {
  CHECKPOINT_MAGIC,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type Checkpoint,
} from './checkpoint/checkpoint-file';
