/**
 * The compression report of `metacompress compress`: its JSON type and validation, the
 * self-contained HTML page, the terminal summary and the atomic writer of both files.
 *
 * @example
 * const report = createReport({ input, output, dataset, budget, policy, before, after, steps, backend, durationMs, warnings });
 * await writeReports(report, { jsonPath: 'small.report.json', htmlPath: 'small.report.html', protect: [inputPath] });
 * io.out(renderTextSummary(report));
 */
export {
  REPORT_VERSION,
  TFJS_BACKENDS,
  INFERENCE_RUNTIMES,
  type CompressionReport,
  type InferenceRuntimeName,
  type LatencySummary,
  type ModelMetrics,
  type ReportBackend,
  type ReportBudget,
  type ReportModelFormat,
  type ReportPolicy,
  type ReportPolicyGroup,
  type ReportStep,
  type TfjsBackendName,
} from './types';
export { isCompressionReport, parseReport, reportProblems, validateReport } from './validate';
export {
  achievedRatio,
  budgetMet,
  createReport,
  sha256Hex,
  toJsonValue,
  type ReportInput,
} from './create-report';
export {
  accuracyTone,
  comparisonRows,
  type ChangeTone,
  type ComparisonKey,
  type ComparisonRow,
} from './comparison';
export { renderHtmlReport } from './html-report';
export { renderTextSummary, type TextSummaryOptions } from './text-summary';
export { writeReports, type WriteReportsOptions } from './write-reports';
export { escapeHtml } from './html-template';
