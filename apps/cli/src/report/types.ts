import type { BudgetMetric } from '@metacompress/core';

/** The version of the report's JSON layout; bumped when a field changes meaning or is removed. */
export const REPORT_VERSION = 1;

/** Model file formats a report names (the CLI reads and writes these). */
export type ReportModelFormat = 'onnx' | 'tfjs';

/** The TensorFlow.js backends that can run the differentiable steps (fine-tune, sensitivity). */
export const TFJS_BACKENDS = ['tfjs-node', 'tfjs-wasm', 'tfjs-cpu'] as const;
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];

/** The onnxruntime builds that measure accuracy and latency. */
export const INFERENCE_RUNTIMES = ['ort-web', 'ort-node'] as const;
export type InferenceRuntimeName = (typeof INFERENCE_RUNTIMES)[number];

/**
 * One latency figure: the median of timed runs with its 10th and 90th percentiles, in milliseconds.
 * Same field names as core's `LatencyStats`, so `{ medianMs, p10Ms, p90Ms, runs }` can be copied over.
 *
 * @example
 * const l: LatencySummary = { medianMs: 5.1, p10Ms: 4.9, p90Ms: 5.6, runs: 20 };
 */
export interface LatencySummary {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  /** Number of timed runs behind the figure. */
  runs?: number;
}

/**
 * What one model measured: counts from the IR cost model (per sample, batch 1), the file size on
 * disk, accuracy (and mean loss) on the test split, and latency in the inference runtime.
 *
 * @example
 * const m: ModelMetrics = {
 *   params: 61706, macs: 416520, bytes: 246824, fileBytes: 248120, accuracy: 0.9893,
 *   latencyMs: { batch1: { medianMs: 0.21, p10Ms: 0.2, p90Ms: 0.25 }, batch64: { medianMs: 5.1, p10Ms: 4.9, p90Ms: 5.6 } },
 * };
 */
export interface ModelMetrics {
  /** Parameter count (cost model). */
  params: number;
  /** Multiply-accumulates per sample (cost model). */
  macs: number;
  /** Weight bytes as stored (cost model; counts quantized weights at their bit width). */
  bytes: number;
  /** Size of the model file(s) on disk, external data included. */
  fileBytes: number;
  /** Top-1 accuracy on the test split, 0..1, measured in the inference runtime. */
  accuracy: number;
  /** Mean cross-entropy on the test split, where the runtime computed it. */
  loss?: number;
  /** Latency at batch 1 and batch 64; a figure is absent when latency was not measured. */
  latencyMs: { batch1?: LatencySummary; batch64?: LatencySummary };
}

/**
 * The compression target and how close the result came: `achieved` is after/before for the
 * budget's metric (for `latency`, the batch-1 median unless the producer chose otherwise).
 *
 * @example
 * const b: ReportBudget = { metric: 'macs', ratio: 0.25, achieved: 0.248 };
 */
export interface ReportBudget {
  metric: BudgetMetric;
  ratio: number;
  /** Achieved after/before ratio of `metric`; absent when it could not be measured. */
  achieved?: number;
}

/**
 * What the policy did to one coupling group.
 *
 * @example
 * const g: ReportPolicyGroup = { id: 'conv1', channelsBefore: 32, channelsAfter: 12, keep: 0.375, weightBits: 8 };
 */
export interface ReportPolicyGroup {
  /** The coupling group id (from the user's model: treat as untrusted text). */
  id: string;
  channelsBefore: number;
  channelsAfter: number;
  /** The keep ratio the policy asked for (channelsAfter/channelsBefore after rounding may differ). */
  keep: number;
  /** Weight bit width; absent or 32 means float32. */
  weightBits?: number;
}

/**
 * The per-group policy that was applied, and where it came from (`meta`, `uniform`, a file…).
 *
 * @example
 * const p: ReportPolicy = { source: 'meta (zero-shot)', groups: [{ id: 'conv1', channelsBefore: 32, channelsAfter: 16, keep: 0.5 }] };
 */
export interface ReportPolicy {
  source: string;
  groups: ReportPolicyGroup[];
}

/**
 * One operator run by the pipeline, as core's `compress()` returns it.
 *
 * @example
 * const s: ReportStep = { operator: 'prune', durationMs: 812, report: { removedChannels: 120 } };
 */
export interface ReportStep {
  operator: string;
  durationMs: number;
  /** The operator's own report (JSON). */
  report?: Record<string, unknown>;
}

/**
 * Which backends ran: the TensorFlow.js backend of the differentiable steps (null when none ran)
 * and the onnxruntime build, with its thread count, that measured accuracy and latency.
 *
 * @example
 * const b: ReportBackend = { tfjs: 'tfjs-wasm', runtime: 'ort-web', threads: 1 };
 */
export interface ReportBackend {
  tfjs: TfjsBackendName | null;
  runtime: InferenceRuntimeName;
  threads: number;
}

/**
 * Everything `metacompress compress` reports: written as JSON (`--report-json`), rendered as a
 * self-contained HTML page, summarized in the terminal, and printed as-is by `--json`.
 * Plain JSON data: no `undefined` inside arrays, no NaN, no class instances.
 *
 * @example
 * const json = JSON.stringify(report, null, 2);
 * const again = validateReport(JSON.parse(json)); // the same report
 */
export interface CompressionReport {
  /** {@link REPORT_VERSION} of the layout. */
  reportVersion: number;
  tool: { name: string; version: string };
  /** ISO 8601 time the report was made. */
  createdAt: string;
  input: { path: string; format: ReportModelFormat; sha256: string };
  output: { path: string; format: ReportModelFormat; bytes: number; sha256?: string };
  dataset: { name: string; trainSamples: number; testSamples: number };
  budget: ReportBudget;
  policy: ReportPolicy;
  before: ModelMetrics;
  after: ModelMetrics;
  steps: ReportStep[];
  backend: ReportBackend;
  /** Wall time of the whole command, in milliseconds. */
  durationMs: number;
  /** Things the user should know (e.g. a quantization gate fell back to float32). */
  warnings: string[];
}
