import { formatCount } from '../render/table';
import { bitsLabel, formatPercent } from './format';
import { markup, rawHtml, type SafeHtml } from './html-template';
import type { ReportPolicy, ReportPolicyGroup } from './types';

/** Height of one group's row in the chart (label line + bar), in CSS pixels. */
const ROW = 46;
const BAR_Y = 23;
const BAR_H = 13;

/** Colour class of a kept bar by weight bit width. */
export function bitsClass(bits: number | undefined): string {
  if (bits === undefined || bits >= 32) return 'bits-32';
  if (bits >= 16) return 'bits-16';
  if (bits >= 8) return 'bits-8';
  return 'bits-low';
}

/** Shortens long ids in the middle: the ends of `/layer3/…/downsample.0/Conv` tell groups apart. */
function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const head = Math.ceil((max - 1) * 0.4);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (max - 1 - head)).join('')}`;
}

/** The share of channels a group kept (1 for a group with no channels). */
export function keptFraction(g: ReportPolicyGroup): number {
  return g.channelsBefore > 0 ? Math.min(1, g.channelsAfter / g.channelsBefore) : 1;
}

/** One sentence describing what happened to a group (SVG `<title>`, table, screen readers). */
export function describeGroup(g: ReportPolicyGroup): string {
  const removed = g.channelsBefore - g.channelsAfter;
  const bits = bitsLabel(g.weightBits);
  return (
    `${g.id}: ${formatCount(g.channelsAfter)} of ${formatCount(g.channelsBefore)} channels kept ` +
    `(${formatPercent(keptFraction(g), 1)}), ${formatCount(removed)} removed` +
    (bits ? `, ${bits} weights` : ', float32 weights')
  );
}

/**
 * An inline SVG bar chart of a policy: one row per group, a full-width track (the channels before)
 * with the kept share filled in, coloured by weight bit width; each row is labelled with the group
 * id, the channel counts, the keep percentage and the bit width where quantized. Widths are in
 * percent, so the chart reflows to any screen width without scaling its text; narrow screens get
 * shorter labels. Every piece of text is escaped.
 *
 * @example
 * const svg = renderPolicyChart(report.policy).toString(); // '<svg …><g class="group" …>…</svg>'
 */
export function renderPolicyChart(policy: ReportPolicy): SafeHtml {
  const groups = policy.groups;
  const height = Math.max(1, groups.length) * ROW;
  const kept = groups.reduce((s, g) => s + g.channelsAfter, 0);
  const total = groups.reduce((s, g) => s + g.channelsBefore, 0);
  const summary =
    groups.length === 0
      ? 'The policy changes no group.'
      : `${groups.length} groups; ${formatCount(kept)} of ${formatCount(total)} channels kept overall. ` +
        groups.map(describeGroup).join('. ') +
        '.';
  const rows = groups.map((g, i) => {
    const y = i * ROW;
    const fraction = keptFraction(g);
    const pct = formatPercent(fraction, 0);
    const bits = bitsLabel(g.weightBits);
    const counts = `${formatCount(g.channelsAfter)} / ${formatCount(g.channelsBefore)} ch`;
    const width = `${(fraction * 100).toFixed(3)}%`;
    return markup`<g class="group" data-group="${g.id}" data-before="${g.channelsBefore}" data-after="${g.channelsAfter}">
<title>${describeGroup(g)}</title>
<text class="label wide" x="0" y="${y + 15}">${truncate(g.id, 60)}</text>
<text class="label narrow" x="0" y="${y + 15}">${truncate(g.id, 22)}</text>
<text class="value wide" x="100%" y="${y + 15}" text-anchor="end">${counts} · <tspan class="pct">${pct} kept</tspan>${bits ? markup` · <tspan class="bits">${bits}</tspan>` : ''}</text>
<text class="value narrow" x="100%" y="${y + 15}" text-anchor="end"><tspan class="pct">${pct}</tspan>${bits ? markup` · <tspan class="bits">${bits}</tspan>` : ''}</text>
<rect class="bar-track" x="0" y="${y + BAR_Y}" width="100%" height="${BAR_H}" rx="3"></rect>
<rect class="bar-kept ${bitsClass(g.weightBits)}" x="0" y="${y + BAR_Y}" width="${width}" height="${BAR_H}" rx="3"></rect>
</g>`;
  });
  return markup`<svg class="chart policy-chart" width="100%" height="${height}" role="img" aria-labelledby="policy-chart-title policy-chart-desc" xmlns="http://www.w3.org/2000/svg">
<title id="policy-chart-title">Channels kept per coupling group</title>
<desc id="policy-chart-desc">${summary}</desc>
${rows.length > 0 ? rows : rawHtml('<text class="label" x="0" y="15">The policy changes no group.</text>')}
</svg>`;
}

/**
 * The colour legend of {@link renderPolicyChart}: only the bit widths the policy uses, plus "removed".
 *
 * @example
 * renderPolicyLegend(report.policy).toString(); // '<ul class="legend">…</ul>'
 */
export function renderPolicyLegend(policy: ReportPolicy): SafeHtml {
  const used = new Set(policy.groups.map((g) => bitsClass(g.weightBits)));
  const entries: [string, string][] = [
    ['bits-32', 'kept, float32'],
    ['bits-16', 'kept, fp16'],
    ['bits-8', 'kept, int8'],
    ['bits-low', 'kept, ≤ 4 bits'],
  ];
  const items = entries
    .filter(([cls]) => used.has(cls))
    .map(([cls, label]) => markup`<li><span class="swatch ${cls}"></span>${label}</li>`);
  return markup`<ul class="legend">${items}<li><span class="swatch bar-track"></span>removed</li></ul>`;
}
