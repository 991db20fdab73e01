import { renderTable } from '../render/table';
import { comparisonRows } from './comparison';
import { formatDuration, formatRatio } from './format';
import { budgetMet } from './create-report';
import type { CompressionReport } from './types';

/** Options of {@link renderTextSummary}. */
export interface TextSummaryOptions {
  /** Also list the warnings under the table (default true; turn off when they were printed already). */
  warnings?: boolean;
}

/**
 * The before/after table printed at the end of `compress`, followed by the budget line, the
 * runtime that measured accuracy and latency, and the warnings.
 *
 * @example
 * io.out(renderTextSummary(report));
 * // metric             before      after    ratio     change
 * // ─────────────────  ──────────  ───────  ───────  ───────
 * // params             61,706      15,430   0.250×   −75.0 %
 */
export function renderTextSummary(report: CompressionReport, options: TextSummaryOptions = {}): string {
  const rows = comparisonRows(report);
  const table = renderTable([
    ['metric', 'before', 'after', 'ratio', 'change'],
    ...rows.map((r) => [r.label, r.before, r.after, r.ratio, r.change]),
  ]);
  const { budget } = report;
  const met = budgetMet(budget);
  const lines = [
    table.trimEnd(),
    '',
    `budget ${budget.metric}=${budget.ratio}: achieved ${formatRatio(budget.achieved)}` +
      (met === undefined ? ' (not measured)' : met ? ' (within target)' : ' (ABOVE TARGET)'),
    `accuracy and median latency in ${report.backend.runtime} (${report.backend.threads} thread${report.backend.threads === 1 ? '' : 's'})` +
      ` on ${report.dataset.testSamples.toLocaleString('en-US')} test samples of ${report.dataset.name}` +
      `; ${report.policy.source} policy; ${formatDuration(report.durationMs)} in all`,
  ];
  if (options.warnings ?? true) for (const w of report.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
