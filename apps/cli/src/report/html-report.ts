import { formatBytes, formatCount } from '../render/table';
import { accuracyTone, comparisonRows } from './comparison';
import { budgetMet } from './create-report';
import {
  bitsLabel,
  formatChange,
  formatDuration,
  formatMs,
  formatPercent,
  formatPointDelta,
  formatRatio,
  keepUnits,
  metricName,
  modelName,
} from './format';
import { markup, rawHtml, type SafeHtml } from './html-template';
import { keptFraction, renderPolicyChart, renderPolicyLegend } from './policy-chart';
import { REPORT_CSS } from './report-styles';
import { renderStepReports, renderStepsTimeline } from './steps-timeline';
import type { CompressionReport } from './types';

/** No scripts, no external resources; inline styles only. */
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const utc = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

const runtimeText = (r: CompressionReport) => `${r.backend.runtime}, ${plural(r.backend.threads, 'thread')}`;

function card(label: string, value: string, detail: SafeHtml | string, tone?: string): SafeHtml {
  const d = typeof detail === 'string' ? keepUnits(detail) : detail;
  return markup`<div class="card"><p class="k">${label}</p><p class="v${tone ? ` ${tone}` : ''}">${keepUnits(value)}</p><p class="d">${d}</p></div>`;
}

function budgetBadge(met: boolean | undefined): SafeHtml {
  if (met === undefined) return markup`<span class="badge over">not measured</span>`;
  return met
    ? markup`<span class="badge ok">within target</span>`
    : markup`<span class="badge over">above target</span>`;
}

function highlights(r: CompressionReport): SafeHtml {
  const { budget, before: b, after: a } = r;
  const cards: SafeHtml[] = [
    card(
      `${metricName(budget.metric)} (budget)`,
      formatRatio(budget.achieved),
      markup`target ${formatRatio(budget.ratio)} ${budgetBadge(budgetMet(budget))}`,
    ),
    card(
      'File size',
      formatChange(b.fileBytes, a.fileBytes),
      `${formatBytes(b.fileBytes)} → ${formatBytes(a.fileBytes)}`,
    ),
    card(
      'Accuracy (test)',
      formatPercent(a.accuracy),
      markup`<span class="${accuracyTone(b.accuracy, a.accuracy)}">${keepUnits(formatPointDelta(b.accuracy, a.accuracy))}</span> from ${keepUnits(formatPercent(b.accuracy))}`,
    ),
  ];
  // The batch-64 figure when measured (throughput), else batch 1.
  for (const batch of ['batch64', 'batch1'] as const) {
    const lb = b.latencyMs[batch];
    const la = a.latencyMs[batch];
    if (!lb || !la || !(la.medianMs > 0)) continue;
    const speedup = lb.medianMs / la.medianMs;
    const value = speedup >= 1 ? `${speedup.toFixed(2)}× faster` : `${(1 / speedup).toFixed(2)}× slower`;
    const detail = `${formatMs(lb.medianMs)} → ${formatMs(la.medianMs)} (${r.backend.runtime})`;
    cards.push(card(`Latency, batch ${batch.slice(5)}`, value, detail, speedup < 0.97 ? 'worse' : undefined));
    break;
  }
  return markup`<div class="cards" role="group" aria-label="Highlights">${cards}</div>`;
}

function comparisonTable(r: CompressionReport): SafeHtml {
  const detail = (text: string | undefined) =>
    text ? markup`<span class="detail">${keepUnits(text)}</span>` : '';
  const rows = comparisonRows(r).map(
    (row) => markup`<tr data-key="${row.key}">
<th scope="row">${row.label}</th>
<td class="before">${keepUnits(row.before)}${detail(row.beforeDetail)}</td>
<td class="after">${keepUnits(row.after)}${detail(row.afterDetail)}</td>
<td class="ratio">${row.ratio}</td>
<td class="change ${row.tone}">${keepUnits(row.change)}</td>
</tr>`,
  );
  const latency = [r.before, r.after].some((m) => m.latencyMs.batch1 || m.latencyMs.batch64);
  const measured =
    `accuracy${r.before.loss !== undefined && r.after.loss !== undefined ? ' and loss' : ''} on the ` +
    `${formatCount(r.dataset.testSamples)} test samples of ${r.dataset.name}` +
    `${latency ? ', and latency (median of timed runs, p10–p90 beneath),' : ''} measured in ${runtimeText(r)}`;
  return markup`<div class="table-wrap"><table class="comparison">
<caption>Parameters, MACs (per sample) and weight bytes come from the cost model; ${measured}.</caption>
<thead><tr><th scope="col">Metric</th><th scope="col">Before</th><th scope="col">After</th><th scope="col" class="ratio">Ratio</th><th scope="col">Change</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function policyTable(r: CompressionReport): SafeHtml {
  const rows = r.policy.groups.map(
    (g) => markup`<tr>
<th scope="row" class="id"><code>${g.id}</code></th>
<td>${formatCount(g.channelsBefore)}</td>
<td>${formatCount(g.channelsAfter)}</td>
<td>${keepUnits(formatPercent(keptFraction(g), 1))}</td>
<td>${keepUnits(formatPercent(g.keep, 1))}</td>
<td>${bitsLabel(g.weightBits) ?? 'fp32'}</td>
</tr>`,
  );
  return markup`<details><summary>The policy as a table</summary><div class="table-wrap"><table class="policy-table">
<thead><tr><th scope="col" class="id">Group</th><th scope="col">Channels before</th><th scope="col">After</th><th scope="col">Kept</th><th scope="col">Policy keep</th><th scope="col">Weights</th></tr></thead>
<tbody>${rows}</tbody>
</table></div></details>`;
}

function settings(r: CompressionReport): SafeHtml {
  const { budget } = r;
  const met = budgetMet(budget);
  const mono = (text: string) => markup`<span class="mono">${text}</span>`;
  const items: [string, SafeHtml | string][] = [
    [
      'Budget',
      `keep ${formatPercent(budget.ratio, 1)} of the ${metricName(budget.metric)} (${budget.metric}=${budget.ratio})`,
    ],
    [
      'Achieved',
      budget.achieved === undefined
        ? 'not measured'
        : `${formatRatio(budget.achieved)} of the original ${metricName(budget.metric)}${met ? '' : ' (above target)'}`,
    ],
    ['Policy source', r.policy.source],
    ['Inference runtime', runtimeText(r)],
    ['Training backend', r.backend.tfjs ?? 'none (no differentiable step ran)'],
    [
      'Dataset',
      `${r.dataset.name}: ${formatCount(r.dataset.trainSamples)} train, ${formatCount(r.dataset.testSamples)} test samples`,
    ],
    ['Input', markup`${mono(r.input.path)} (${r.input.format})`],
    ['Input SHA-256', mono(r.input.sha256)],
    ['Output', markup`${mono(r.output.path)} (${r.output.format}, ${formatBytes(r.output.bytes)})`],
    ...(r.output.sha256 ? [['Output SHA-256', mono(r.output.sha256)] as [string, SafeHtml]] : []),
    ['Total time', formatDuration(r.durationMs)],
    ['Tool', `${r.tool.name} ${r.tool.version}`],
    ['Created', utc(r.createdAt)],
  ];
  return markup`<dl class="kv">${items.map(([k, v]) => markup`<div class="kv-row"><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

/**
 * Renders a report as one self-contained HTML page: inline CSS and SVG, no scripts, no external
 * resources (a Content-Security-Policy forbids them), readable on a phone and in dark mode. It holds
 * highlight cards, the before/after table, the per-group policy chart (channels kept vs removed,
 * keep %, weight bits), the steps timeline with each step's report, warnings and settings.
 * Every string from the report is escaped (group ids come from user models).
 *
 * @example
 * await writeFileAtomic('report.html', renderHtmlReport(report));
 */
export function renderHtmlReport(report: CompressionReport): string {
  const r = report;
  const name = modelName(r.input.path);
  const warnings = r.warnings.length;
  const groups = r.policy.groups.length;
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${rawHtml(CSP)}">
<meta name="generator" content="${r.tool.name} ${r.tool.version}">
<meta name="color-scheme" content="light dark">
<title>${name} — compression report</title>
<style>${rawHtml(REPORT_CSS)}</style>
</head>
<body>
<main>
<header>
<p class="eyebrow">${r.tool.name} compression report</p>
<h1>${name} <span class="to">→</span> ${modelName(r.output.path)}</h1>
<p class="meta"><span>${utc(r.createdAt)}</span><span>${r.dataset.name}</span><span>${metricName(r.budget.metric)} budget ${formatRatio(r.budget.ratio)}</span><span>${r.policy.source} policy</span><span>${formatDuration(r.durationMs)}</span></p>
${warnings > 0 ? markup`<a class="notice" href="#warnings">${plural(warnings, 'warning')}: see below</a>` : ''}
</header>
${highlights(r)}
<section id="comparison" aria-labelledby="comparison-h">
<h2 id="comparison-h">Before and after</h2>
<p class="sub">The original model against the compressed one.</p>
${comparisonTable(r)}
</section>
<section id="policy" aria-labelledby="policy-h">
<h2 id="policy-h">Per-group policy</h2>
<p class="sub">Channels kept in each coupling group (channels pruned together), from the ${r.policy.source} policy; ${plural(groups, 'group')}.</p>
${renderPolicyLegend(r.policy)}
${renderPolicyChart(r.policy)}
${groups > 0 ? policyTable(r) : ''}
</section>
<section id="steps" aria-labelledby="steps-h">
<h2 id="steps-h">Steps</h2>
<p class="sub">${plural(r.steps.length, 'operator')} in ${formatDuration(r.durationMs)} of wall time.</p>
${renderStepsTimeline(r.steps, r.durationMs)}
${renderStepReports(r.steps)}
</section>
<section id="warnings" aria-labelledby="warnings-h">
<h2 id="warnings-h">Warnings</h2>
${warnings > 0 ? markup`<ul class="warnings">${r.warnings.map((w) => markup`<li>${w}</li>`)}</ul>` : markup`<p class="none">No warnings.</p>`}
</section>
<section id="settings" aria-labelledby="settings-h">
<h2 id="settings-h">Settings</h2>
${settings(r)}
</section>
<footer>Made by ${r.tool.name} ${r.tool.version}. This page is self-contained: no scripts, no network requests.</footer>
</main>
</body>
</html>
`.toString();
}
