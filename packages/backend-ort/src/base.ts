/**
 * @packageDocumentation
 * The side-effect-free part of `@metacompress/backend-ort`: everything the package exports,
 * without registering any backend. Import `@metacompress/backend-ort` (the index) to register
 * `ort-web` and `ort-node` in core's registry.
 *
 * @example
 * import { createOrtWebBackend } from '@metacompress/backend-ort/base';
 * const web = await createOrtWebBackend();
 */
export {
  createOrtBackend,
  createOrtNodeBackend,
  createOrtWebBackend,
  type OrtBackend,
  type OrtBackendOptions,
  type OrtEvaluateOptions,
  type OrtFlavor,
  type OrtLatencyOptions,
  type OrtLatencyStats,
  type OrtRunOptions,
} from './ort-backend';
export { ORT_NODE, ORT_NODE_PRIORITY, ORT_WEB, ORT_WEB_PRIORITY, registerOrtBackends } from './registration';
export { loadOrtNode, loadOrtWeb, type OrtModule, type OrtSession, type OrtTensor } from './ort-module';
export { appendGraphOutputs, describeModel, modelBytes, withExtraOutputs, type OrtModel } from './model-bytes';
export {
  checkFeedShape,
  concreteShape,
  isFixedDim,
  prepareFeeds,
  randomFeeds,
  sessionInputs,
  sessionOutputs,
  type OrtValueSpec,
  type RandomFeedOptions,
} from './feeds';
export { fromOrtTensor, ortTypeOf, toOrtTensor, type OrtElementType } from './tensor-convert';
export { classScores, detectScoreKind, scoreRows, type BatchScore, type ScoreKind } from './classification';
export { quantile, summarizeLatencies } from './latency-stats';
export { SessionCache } from './session-cache';
