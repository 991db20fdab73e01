import { formatDuration, formatPercent } from './format';
import { markup, type SafeHtml } from './html-template';
import type { ReportStep } from './types';

const ROW = 40;
const BAR_Y = 21;
const BAR_H = 11;
/** Longest JSON shown for one nested value of a step report before it is cut (the JSON report has it all). */
const MAX_JSON = 4000;

interface Segment {
  label: string;
  durationMs: number;
  startMs: number;
  other: boolean;
}

function segments(steps: readonly ReportStep[], totalMs: number): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  steps.forEach((s, i) => {
    out.push({ label: `${i + 1}. ${s.operator}`, durationMs: s.durationMs, startMs: start, other: false });
    start += s.durationMs;
  });
  const rest = totalMs - start;
  // Loading, measuring and writing happen outside the operators; show them so the bars add up.
  if (rest > Math.max(1, totalMs * 0.005)) {
    out.push({ label: 'load, measure and write', durationMs: rest, startMs: start, other: true });
  }
  return out;
}

/**
 * An inline SVG timeline (Gantt style) of the pipeline steps over the command's wall time: one row
 * per operator, placed where it started, plus the time spent outside operators.
 *
 * @example
 * renderStepsTimeline(report.steps, report.durationMs).toString(); // '<svg …>…</svg>'
 */
export function renderStepsTimeline(steps: readonly ReportStep[], totalMs: number): SafeHtml {
  const sum = steps.reduce((s, x) => s + x.durationMs, 0);
  const span = Math.max(totalMs, sum, 1e-9);
  const segs = segments(steps, Math.max(totalMs, sum));
  const rows = segs.map((seg, i) => {
    const y = i * ROW;
    const x = `${((seg.startMs / span) * 100).toFixed(3)}%`;
    const w = `${((seg.durationMs / span) * 100).toFixed(3)}%`;
    const share = formatPercent(seg.durationMs / span, 1);
    return markup`<g class="step${seg.other ? ' other' : ''}">
<title>${seg.label}: ${formatDuration(seg.durationMs)} (${share} of the run)</title>
<text class="label" x="0" y="${y + 14}">${seg.label}</text>
<text class="value" x="100%" y="${y + 14}" text-anchor="end">${formatDuration(seg.durationMs)} · ${share}</text>
<rect class="bar-track" x="0" y="${y + BAR_Y}" width="100%" height="${BAR_H}" rx="3"></rect>
<rect class="bar-step" x="${x}" y="${y + BAR_Y}" width="${w}" height="${BAR_H}" rx="3"></rect>
</g>`;
  });
  const title = `Pipeline steps over ${formatDuration(span)}: ${segs.map((s) => `${s.label} ${formatDuration(s.durationMs)}`).join(', ')}`;
  return markup`<svg class="chart steps-chart" width="100%" height="${Math.max(1, segs.length) * ROW}" role="img" aria-labelledby="steps-chart-title" xmlns="http://www.w3.org/2000/svg">
<title id="steps-chart-title">${title}</title>
${rows}
</svg>`;
}

function jsonText(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return text.length > MAX_JSON
    ? `${text.slice(0, MAX_JSON)}\n… (${text.length - MAX_JSON} more characters in the JSON report)`
    : text;
}

/**
 * Each step's own report as a collapsible key/value list (`<details>`: opens without scripts).
 *
 * @example
 * renderStepReports(report.steps).toString(); // '<details class="step-report">…'
 */
export function renderStepReports(steps: readonly ReportStep[]): SafeHtml {
  const parts = steps.map((s, i) => {
    const entries = Object.entries(s.report ?? {});
    if (entries.length === 0) return markup``;
    const items = entries.map(([k, v]) =>
      v !== null && typeof v === 'object'
        ? markup`<div class="kv-row"><dt>${k}</dt><dd><pre>${jsonText(v)}</pre></dd></div>`
        : markup`<div class="kv-row"><dt>${k}</dt><dd>${typeof v === 'number' ? formatNumber(v) : String(v)}</dd></div>`,
    );
    return markup`<details class="step-report"><summary>${i + 1}. ${s.operator}: report</summary><dl class="kv">${items}</dl></details>`;
  });
  return markup`${parts}`;
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const abs = Math.abs(n);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? n.toExponential(3) : String(Number(n.toPrecision(6)));
}
