/**
 * The inline stylesheet of the HTML report: system fonts, light and dark colour schemes, tables
 * that scroll sideways on phones, SVG charts coloured through CSS variables, and print rules.
 */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f5f6f8; --card: #ffffff; --text: #1c2230; --muted: #5f6b7a; --border: #e3e6eb;
  --accent: #4338ca; --better: #047857; --worse: #b42318; --same: #5f6b7a;
  --track: #e4e7ec; --b32: #4f46e5; --b16: #0e7490; --b8: #059669; --blow: #d97706; --step: #6366f1; --other: #98a2b3;
  --warn-bg: #fffaeb; --warn-border: #f79009; --warn-text: #7a2e0e; --ok-bg: #ecfdf3; --bad-bg: #fef3f2;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1117; --card: #161b22; --text: #e6edf3; --muted: #9aa4b2; --border: #2a313c;
    --accent: #a5b4fc; --better: #4ade80; --worse: #f87171; --same: #9aa4b2;
    --track: #2a313c; --b32: #818cf8; --b16: #22d3ee; --b8: #34d399; --blow: #fbbf24; --step: #818cf8; --other: #667085;
    --warn-bg: #2b2111; --warn-border: #f79009; --warn-text: #fcd9a8; --ok-bg: #0f2a1c; --bad-bg: #2d1414;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
}
main { max-width: 1000px; margin: 0 auto; padding: 32px 20px 40px; }
header { margin-bottom: 8px; }
.eyebrow { margin: 0; font-size: 12px; font-weight: 600; letter-spacing: .08em; text-transform: uppercase; color: var(--accent); }
h1 { margin: 4px 0 6px; font-size: 26px; line-height: 1.25; font-weight: 650; overflow-wrap: break-word; }
h1 .to { color: var(--muted); font-weight: 400; }
h2 { margin: 0 0 4px; font-size: 17px; font-weight: 650; }
.sub { margin: 0 0 14px; color: var(--muted); font-size: 13.5px; }
.meta { margin: 0; color: var(--muted); font-size: 13.5px; }
.meta span + span::before { content: "·"; margin: 0 .5em; color: var(--border); }
.notice { display: inline-block; margin-top: 10px; padding: 4px 10px; border-radius: 999px; font-size: 13px;
  background: var(--warn-bg); color: var(--warn-text); border: 1px solid var(--warn-border); text-decoration: none; }
section { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 20px 22px; margin-top: 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin-top: 18px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 14px 16px; }
.card .k { margin: 0; font-size: 12.5px; color: var(--muted); font-weight: 500; }
.card .v { margin: 2px 0 0; font-size: 26px; font-weight: 650; letter-spacing: -.01em; font-variant-numeric: tabular-nums; }
.card .d { margin: 2px 0 0; font-size: 13px; color: var(--muted); font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.badge.ok { background: var(--ok-bg); color: var(--better); }
.badge.over { background: var(--bad-bg); color: var(--worse); }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 14.5px; }
caption { caption-side: bottom; text-align: left; padding-top: 10px; color: var(--muted); font-size: 12.5px; }
th, td { padding: 9px 10px; text-align: right; border-bottom: 1px solid var(--border); white-space: nowrap; vertical-align: top; }
th:first-child, td:first-child { text-align: left; padding-left: 0; }
th:last-child, td:last-child { padding-right: 0; }
thead th { font-size: 12px; font-weight: 600; letter-spacing: .05em; text-transform: uppercase; color: var(--muted); }
tbody th { font-weight: 500; }
tbody tr:last-child > * { border-bottom: 0; }
.detail { display: block; font-size: 11.5px; color: var(--muted); }
.better { color: var(--better); } .worse { color: var(--worse); } .same { color: var(--same); }
td.change { font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 0 0 12px; padding: 0; list-style: none; font-size: 13px; color: var(--muted); }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; }
.swatch.bits-32 { background: var(--b32); } .swatch.bits-16 { background: var(--b16); }
.swatch.bits-8 { background: var(--b8); } .swatch.bits-low { background: var(--blow); }
.swatch.bar-track { background: var(--track); }
svg.chart { display: block; overflow: visible; }
svg.chart text { font-size: 13px; fill: var(--text); font-variant-numeric: tabular-nums; }
svg.chart text.value { fill: var(--muted); }
svg.chart .pct { fill: var(--text); font-weight: 600; }
svg.chart .bits { fill: var(--text); }
.label.wide, .value.wide { font-family: inherit; }
.bar-track { fill: var(--track); }
.bar-kept.bits-32 { fill: var(--b32); } .bar-kept.bits-16 { fill: var(--b16); }
.bar-kept.bits-8 { fill: var(--b8); } .bar-kept.bits-low { fill: var(--blow); }
.bar-step { fill: var(--step); } .other .bar-step { fill: var(--other); }
.narrow { display: none; }
@media (max-width: 600px) {
  main { padding: 20px 12px 32px; }
  h1 { font-size: 21px; }
  section { padding: 16px 14px; border-radius: 10px; }
  .cards { grid-template-columns: 1fr 1fr; gap: 8px; }
  .card .v { font-size: 21px; }
  .wide { display: none; }
  .narrow { display: inline; }
  table { font-size: 13px; }
  th, td { padding: 8px 5px; }
  thead th { font-size: 11px; letter-spacing: .02em; }
  tbody th { white-space: normal; min-width: 5em; }
  .detail { white-space: normal; font-size: 11px; }
  .comparison .ratio { display: none; }
}
details { margin-top: 12px; }
summary { cursor: pointer; color: var(--accent); font-size: 14px; }
.kv { display: grid; grid-template-columns: minmax(120px, max-content) 1fr; gap: 4px 16px; margin: 10px 0 0; font-size: 13.5px; }
.kv-row { display: contents; }
.kv dt { color: var(--muted); overflow-wrap: anywhere; }
.kv dd { margin: 0; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
pre { margin: 0; font: 12px/1.45 var(--mono); white-space: pre-wrap; overflow-wrap: anywhere; }
code, .mono { font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
.warnings { margin: 0; padding: 0; list-style: none; }
.warnings li { margin-top: 8px; padding: 10px 12px; border-left: 4px solid var(--warn-border); background: var(--warn-bg);
  color: var(--warn-text); border-radius: 0 8px 8px 0; overflow-wrap: anywhere; }
.none { margin: 0; color: var(--muted); }
.policy-table td.id, .policy-table th.id { white-space: normal; overflow-wrap: anywhere; }
footer { margin-top: 22px; color: var(--muted); font-size: 12.5px; text-align: center; }
@media print {
  body { background: #fff; }
  section, .card { break-inside: avoid; border-color: #ccc; }
  details { display: block; }
}
`;
