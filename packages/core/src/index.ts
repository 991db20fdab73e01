/**
 * @packageDocumentation
 * Contracts and glue of Metacompress: budgets and policies (with validation), `defineOperator`,
 * the backend registry, typed errors, a seeded RNG, progress events and the `compress()` runner.
 * Every other package, and every plugin, codes against these.
 *
 * @example
 * import { compress, defineOperator, parsePolicy } from '@metacompress/core';
 */
export { ErrorCodes, MetacompressError, assert, isMetacompressError, type ErrorCode, type ErrorDetails } from './errors';
export { createRng, type Rng } from './rng';
export { BUDGET_METRICS, checkRatio, describe, parseBudget, validateBudget, type Budget, type BudgetMetric } from './budget';
export {
  WEIGHT_BITS,
  identityPolicy,
  parsePolicy,
  policyFor,
  validatePolicy,
  type GroupPolicy,
  type Policy,
  type ValidatePolicyOptions,
  type WeightBits,
} from './policy';
export { log, silentReporter, startTask, type ProgressEvent, type ProgressReporter, type TaskProgress } from './progress';
export { option, parseOptions, type OptionSpec, type OptionsOf, type OptionsSchema } from './options';
export { sizeOf, type BatchOptions, type Dataset, type DenseTensor, type LabeledBatch, type TensorValues } from './data';
export type { DifferentiableBackend, EvaluationResult, InferenceBackend, LatencyStats } from './backend';
export { BackendRegistry, backends, registerBackend, type BackendRegistration } from './backend-registry';
export {
  defineOperator,
  isOperator,
  type Operator,
  type OperatorContext,
  type OperatorDefinition,
  type OperatorResult,
  type PipelineStep,
} from './operator';
export { compress, type CompressOptions, type CompressResult, type StepInput } from './pipeline';
export { cloneStructure, deepFreeze } from './immutable';
export { writeFileAtomic } from './files';
