/**
 * @packageDocumentation
 * Runs Metacompress graphs in onnxruntime-web (and onnxruntime-node when installed): outputs
 * (intermediate ones too), accuracy and honest latency. Importing this module registers the
 * `ort-web` and `ort-node` inference backends in core's registry; `@metacompress/backend-ort/base`
 * exports the same API without registering.
 *
 * @example
 * import { backends } from '@metacompress/core';
 * import { ORT_WEB, type OrtBackend } from '@metacompress/backend-ort';
 * const web = await backends.resolve<OrtBackend>('inference', [ORT_WEB]);
 * const stats = await web.latency(graph, { batchSize: 64 }); // { medianMs, p10Ms, p90Ms, ... }
 */
import './register-backends';

export {
  ORT_NODE,
  ORT_NODE_PRIORITY,
  ORT_WEB,
  ORT_WEB_PRIORITY,
  SessionCache,
  appendGraphOutputs,
  checkFeedShape,
  classScores,
  concreteShape,
  createOrtBackend,
  createOrtNodeBackend,
  createOrtWebBackend,
  describeModel,
  detectScoreKind,
  fromOrtTensor,
  isFixedDim,
  loadOrtNode,
  loadOrtWeb,
  modelBytes,
  ortTypeOf,
  prepareFeeds,
  quantile,
  randomFeeds,
  registerOrtBackends,
  scoreRows,
  sessionInputs,
  sessionOutputs,
  summarizeLatencies,
  toOrtTensor,
  withExtraOutputs,
  type BatchScore,
  type OrtBackend,
  type OrtBackendOptions,
  type OrtElementType,
  type OrtEvaluateOptions,
  type OrtFlavor,
  type OrtLatencyOptions,
  type OrtLatencyStats,
  type OrtModel,
  type OrtModule,
  type OrtRunOptions,
  type OrtSession,
  type OrtTensor,
  type OrtValueSpec,
  type RandomFeedOptions,
  type ScoreKind,
} from './base';
