import { formatBytes, formatCount } from '../render/table';
import { formatChange, formatDelta, formatMs, formatPercent, formatPointDelta, formatRatio } from './format';
import type { CompressionReport, LatencySummary } from './types';

/** Whether a change is an improvement (fewer params, lower latency, higher accuracy). */
export type ChangeTone = 'better' | 'worse' | 'same';

/** Which figure a {@link ComparisonRow} compares. */
export type ComparisonKey =
  'params' | 'macs' | 'bytes' | 'fileBytes' | 'accuracy' | 'loss' | 'latency1' | 'latency64';

/**
 * One formatted line of the before/after comparison, shared by the HTML page and the terminal table.
 *
 * @example
 * const row: ComparisonRow = { key: 'params', label: 'Parameters', before: '61,706', after: '15,430',
 *   ratio: '0.250×', change: '−75.0 %', tone: 'better' };
 */
export interface ComparisonRow {
  key: ComparisonKey;
  label: string;
  before: string;
  after: string;
  /** Secondary text: the p10–p90 spread of a latency median. */
  beforeDetail?: string;
  afterDetail?: string;
  /** after / before. */
  ratio: string;
  /** Signed relative change (percentage points for accuracy). */
  change: string;
  tone: ChangeTone;
}

/** Relative changes smaller than this count as "same" (noise, rounding). */
const SAME_RELATIVE = 0.005;

function tone(
  before: number,
  after: number,
  higherIsBetter: boolean,
  sameWithin = SAME_RELATIVE,
): ChangeTone {
  if (!Number.isFinite(before) || !Number.isFinite(after)) return 'same';
  const scale = Math.abs(before) > 0 ? Math.abs(before) : 1;
  const rel = (after - before) / scale;
  if (Math.abs(rel) < sameWithin) return 'same';
  return rel > 0 === higherIsBetter ? 'better' : 'worse';
}

/**
 * The tone of an accuracy change: within half a tenth of a percentage point (the noise of a
 * 10k-sample test set) counts as the same.
 *
 * @example
 * accuracyTone(0.9912, 0.9874); // 'worse'
 */
export function accuracyTone(before: number, after: number): ChangeTone {
  return Math.abs(after - before) < 0.0005 ? 'same' : after > before ? 'better' : 'worse';
}

/** The p10–p90 spread of a latency figure, e.g. `4.90–5.60 ms`. */
const spread = (l: LatencySummary | undefined) =>
  l ? `${l.p10Ms.toFixed(l.p90Ms < 1 ? 3 : 2)}–${l.p90Ms.toFixed(l.p90Ms < 1 ? 3 : 2)} ms` : undefined;

/**
 * The before/after comparison of a report as formatted rows: parameters, MACs, weight bytes, file
 * size, accuracy, loss (when both sides have one) and latency at batch 1 and 64 (when measured).
 *
 * @example
 * for (const row of comparisonRows(report)) console.log(row.label, row.before, row.after, row.change);
 */
export function comparisonRows(report: CompressionReport): ComparisonRow[] {
  const { before: b, after: a } = report;
  const numeric = (
    key: 'params' | 'macs' | 'bytes' | 'fileBytes',
    label: string,
    format: (n: number) => string,
  ): ComparisonRow => ({
    key,
    label,
    before: format(b[key]),
    after: format(a[key]),
    ratio: formatRatio(b[key] > 0 ? a[key] / b[key] : undefined),
    change: formatChange(b[key], a[key]),
    tone: tone(b[key], a[key], false),
  });
  const rows: ComparisonRow[] = [
    numeric('params', 'Parameters', (n) => formatCount(n)),
    numeric('macs', 'MACs / sample', (n) => formatCount(n)),
    numeric('bytes', 'Weight bytes', formatBytes),
    numeric('fileBytes', 'File size', formatBytes),
    {
      key: 'accuracy',
      label: 'Accuracy (test)',
      before: formatPercent(b.accuracy),
      after: formatPercent(a.accuracy),
      ratio: formatRatio(b.accuracy > 0 ? a.accuracy / b.accuracy : undefined),
      change: formatPointDelta(b.accuracy, a.accuracy),
      tone: accuracyTone(b.accuracy, a.accuracy),
    },
  ];
  if (b.loss !== undefined && a.loss !== undefined) {
    rows.push({
      key: 'loss',
      label: 'Loss (test)',
      before: b.loss.toFixed(4),
      after: a.loss.toFixed(4),
      ratio: formatRatio(b.loss > 0 ? a.loss / b.loss : undefined),
      change: formatDelta(b.loss, a.loss),
      tone: tone(b.loss, a.loss, false),
    });
  }
  for (const [key, batch, label] of [
    ['latency1', 'batch1', 'Latency, batch 1'],
    ['latency64', 'batch64', 'Latency, batch 64'],
  ] as const) {
    const lb = b.latencyMs[batch];
    const la = a.latencyMs[batch];
    if (!lb && !la) continue;
    const both = lb && la;
    const beforeDetail = spread(lb);
    const afterDetail = spread(la);
    rows.push({
      key,
      label,
      before: lb ? formatMs(lb.medianMs) : '–',
      after: la ? formatMs(la.medianMs) : '–',
      ...(beforeDetail ? { beforeDetail } : {}),
      ...(afterDetail ? { afterDetail } : {}),
      ratio: both && lb.medianMs > 0 ? formatRatio(la.medianMs / lb.medianMs) : '–',
      change: both ? formatChange(lb.medianMs, la.medianMs) : '–',
      // Latency is noisy: a change under 3 % is not reported as a change.
      tone: both ? tone(lb.medianMs, la.medianMs, false, 0.03) : 'same',
    });
  }
  return rows;
}
