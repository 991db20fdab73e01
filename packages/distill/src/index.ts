/**
 * @packageDocumentation
 * Knowledge distillation for Metacompress: soft-target losses with temperature (Hinton et al. 2015)
 * mixed with hard-label cross-entropy, feature hints with learned 1×1 adapters (Romero et al. 2015),
 * learning-rate schedules, optimizers with saveable state, atomic checkpoints, fake quantization
 * with a straight-through estimator (QAT), and the recovery fine-tune that every compressed model
 * gets — as a function (`finetune`, `distillStudent`) and as the `distill` pipeline operator.
 *
 * @example
 * import { finetune } from '@metacompress/distill';
 * const { graph } = await finetune(pruned, { teacher: original, train, validation, epochs: 1 });
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
export { checkFakeQuantSpec, fakeQuantize, gridOf, type FakeQuantSpec } from './qat/fake-quant';
export { FAKE_QUANT_DOMAIN, FAKE_QUANT_OP, splitFakeQuant, withFakeQuantNodes } from './qat/fake-quant-graph';
export { batchStream, positionOf, shuffleSeedOf, type DataPosition } from './finetune/batch-stream';
export { evaluateModel } from './finetune/evaluate-model';
export {
  createExecutorModelFactory,
  executorModelFactory,
  type ExecutorModelOptions,
} from './finetune/executor-model';
export {
  outputDims,
  resolveFinetune,
  type EvaluationRecord,
  type FinetuneOptions,
  type ResolvedFinetune,
  type StepInfo,
} from './finetune/finetune-options';
export { finetune, type FinetuneResult, type LossRecord } from './finetune/finetune';
export { graphFingerprint } from './finetune/fingerprint';
export { autoHintPoints, checkHintPoints, type HintPoint } from './finetune/hint-points';
export type {
  ForwardResult,
  ModelFactory,
  ModelFactoryOptions,
  TrainableModel,
} from './finetune/trainable-model';
export { distillStudent, type DistillStudentOptions } from './student/distill-student';
export { reinitialize, shrinkWidth, type StudentSpec } from './student/shrink-width';
export {
  PRE_BN_SUFFIX,
  convOutputsWithoutBatchNorm,
  insertBatchNorm,
  type ChannelStats,
} from './student/batch-norm-insertion';
export { channelStats } from './finetune/channel-stats';
export { distill, distillOptions } from './distill-operator';
