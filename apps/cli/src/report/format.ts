import type { BudgetMetric } from '@metacompress/core';

/** Typographic minus, so negative numbers line up with positive ones in tables. */
const MINUS = '\u2212';

const signed = (text: string, value: number) =>
  value > 0 ? `+${text}` : value < 0 ? `${MINUS}${text}` : text;

/**
 * Milliseconds with a precision that fits the magnitude.
 *
 * @example
 * formatMs(0.2134); // '0.213 ms'
 * formatMs(5.1);    // '5.10 ms'
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const digits = ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0;
  return `${ms.toFixed(digits)} ms`;
}

/**
 * A wall-clock duration: ms, s, or min + s.
 *
 * @example
 * formatDuration(812);    // '812 ms'
 * formatDuration(252000); // '4 min 12 s'
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * A 0..1 fraction as a percentage.
 *
 * @example
 * formatPercent(0.98934); // '98.93 %'
 * formatPercent(0.375, 0); // '38 %'
 */
export function formatPercent(fraction: number, digits = 2): string {
  if (!Number.isFinite(fraction)) return '–';
  return `${(fraction * 100).toFixed(digits)} %`;
}

/**
 * An after/before ratio, as a multiplier.
 *
 * @example
 * formatRatio(0.2481); // '0.248×'
 */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '–';
  const digits = ratio >= 100 ? 0 : ratio >= 10 ? 1 : ratio >= 1 ? 2 : 3;
  return `${ratio.toFixed(digits)}×`;
}

/**
 * The relative change from `before` to `after`, signed, in percent.
 *
 * @example
 * formatChange(100, 25); // '−75.0 %'
 */
export function formatChange(before: number, after: number): string {
  if (!Number.isFinite(before) || !Number.isFinite(after) || before === 0) return '–';
  const change = ((after - before) / before) * 100;
  const rounded = Number(change.toFixed(1));
  return signed(`${Math.abs(rounded).toFixed(1)} %`, rounded);
}

/**
 * A difference of two 0..1 fractions in percentage points, signed.
 *
 * @example
 * formatPointDelta(0.9893, 0.9871); // '−0.22 pp'
 */
export function formatPointDelta(before: number, after: number): string {
  if (!Number.isFinite(before) || !Number.isFinite(after)) return '–';
  const pp = Number(((after - before) * 100).toFixed(2));
  return signed(`${Math.abs(pp).toFixed(2)} pp`, pp);
}

/**
 * A signed difference of two plain numbers (e.g. losses).
 *
 * @example
 * formatDelta(0.041, 0.052, 4); // '+0.0110'
 */
export function formatDelta(before: number, after: number, digits = 4): string {
  if (!Number.isFinite(before) || !Number.isFinite(after)) return '–';
  const d = Number((after - before).toFixed(digits));
  return signed(Math.abs(d).toFixed(digits), d);
}

/**
 * A short name for a weight bit width; undefined for float32 (nothing to say).
 *
 * @example
 * bitsLabel(8);  // 'int8'
 * bitsLabel(16); // 'fp16'
 * bitsLabel(32); // undefined
 */
export function bitsLabel(bits: number | undefined): string | undefined {
  if (bits === undefined || bits >= 32) return undefined;
  if (bits === 16) return 'fp16';
  if (bits === 1) return 'binary';
  return `int${bits}`;
}

/**
 * What a budget metric is called in prose.
 *
 * @example
 * metricName('macs'); // 'MACs'
 */
export function metricName(metric: BudgetMetric): string {
  return { params: 'parameters', macs: 'MACs', bytes: 'weight bytes', latency: 'latency' }[metric];
}

/**
 * The readable name of a model from its path: the file name, or `folder/model.json` for TF.js.
 *
 * @example
 * modelName('/models/lenet.onnx');        // 'lenet.onnx'
 * modelName('/models/mobilenet/model.json'); // 'mobilenet/model.json'
 */
export function modelName(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  const base = parts[parts.length - 1] ?? path;
  if (base.toLowerCase() === 'model.json' && parts.length > 1) return `${parts[parts.length - 2]}/${base}`;
  return base;
}

/**
 * Joins numbers to their units with no-break spaces (`5.10\u00a0ms`), so HTML never wraps between
 * them. For formatted figures only, never for user text.
 *
 * @example
 * keepUnits('2.46 MiB → 112.2 KiB'); // '2.46\u00a0MiB → 112.2\u00a0KiB'
 */
export function keepUnits(text: string): string {
  return text.replace(/(\d) (?=[%a-zA-Z×])/g, '$1\u00a0');
}
