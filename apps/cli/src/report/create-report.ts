import { createHash } from 'node:crypto';
import type { BudgetMetric } from '@metacompress/core';
import { version } from '../version';
import { validateReport } from './validate';
import { REPORT_VERSION, type CompressionReport, type ModelMetrics, type ReportBudget } from './types';

/**
 * The lowercase hex SHA-256 of bytes or text (for `input.sha256`, `output.sha256`).
 *
 * @example
 * sha256Hex(await readFile('model.onnx')); // 'e3b0c442…'
 */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The after/before ratio of one budget metric, or undefined when it cannot be computed (latency
 * not measured, or a zero baseline). Latency uses the median at `latencyBatch` (default batch 1).
 *
 * @example
 * achievedRatio(report.before, report.after, 'macs'); // 0.248
 */
export function achievedRatio(
  before: ModelMetrics,
  after: ModelMetrics,
  metric: BudgetMetric,
  latencyBatch: 'batch1' | 'batch64' = 'batch1',
): number | undefined {
  const pick = (m: ModelMetrics) => (metric === 'latency' ? m.latencyMs[latencyBatch]?.medianMs : m[metric]);
  const b = pick(before);
  const a = pick(after);
  if (a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a)) return undefined;
  return a / b;
}

/** A result counts as within its budget up to this relative excess (rounding of channel counts). */
const BUDGET_TOLERANCE = 0.01;

/**
 * Whether the achieved ratio meets the budget (within 1 % of the target, relative); undefined when
 * nothing was achieved (not measured).
 *
 * @example
 * budgetMet({ metric: 'macs', ratio: 0.25, achieved: 0.2512 }); // true
 */
export function budgetMet(budget: ReportBudget): boolean | undefined {
  if (budget.achieved === undefined) return undefined;
  return budget.achieved <= budget.ratio * (1 + BUDGET_TOLERANCE);
}

/**
 * Turns an operator's report into plain JSON: typed arrays become arrays, non-finite numbers
 * become null, `undefined` entries are dropped, anything else unknown becomes its string form.
 *
 * @example
 * toJsonValue({ scales: new Float32Array([0.5]), bad: NaN }); // { scales: [0.5], bad: null }
 */
export function toJsonValue(value: unknown, depth = 0): unknown {
  if (depth > 32) return '[nested too deeply]';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => toJsonValue(v, depth + 1));
  }
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return toJsonValue(Object.fromEntries(value), depth);
  if (value instanceof Set) return toJsonValue([...value], depth);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v, depth + 1);
    return out;
  }
  return String(value);
}

/** What {@link createReport} needs: the report without the fields it fills in. */
export type ReportInput = Omit<CompressionReport, 'reportVersion' | 'tool' | 'createdAt' | 'budget'> & {
  tool?: CompressionReport['tool'];
  /** Defaults to now. */
  createdAt?: string | Date;
  /** `achieved` is computed from before/after when omitted. */
  budget: Omit<ReportBudget, 'achieved'> & { achieved?: number };
};

/**
 * Builds and validates a {@link CompressionReport}: fills in `reportVersion`, `tool` (this CLI),
 * `createdAt` and `budget.achieved`, and turns step reports into plain JSON. Throws
 * `MC_INVALID_ARGUMENT` naming the bad field when something is missing or not finite.
 *
 * @example
 * const report = createReport({ input, output, dataset, budget: { metric: 'macs', ratio: 0.25 }, policy,
 *   before, after, steps: result.steps, backend: { tfjs: 'tfjs-wasm', runtime: 'ort-web', threads: 1 },
 *   durationMs: performance.now() - t0, warnings });
 */
export function createReport(input: ReportInput): CompressionReport {
  const { tool, createdAt, budget, before, after } = input;
  const achieved = budget.achieved ?? achievedRatio(before, after, budget.metric);
  // Explicit key order: this is the order of the JSON file.
  const report: CompressionReport = {
    reportVersion: REPORT_VERSION,
    tool: tool ?? { name: 'metacompress', version },
    createdAt: createdAt instanceof Date ? createdAt.toISOString() : (createdAt ?? new Date().toISOString()),
    input: input.input,
    output: input.output,
    dataset: input.dataset,
    budget: { metric: budget.metric, ratio: budget.ratio, ...(achieved !== undefined ? { achieved } : {}) },
    policy: input.policy,
    before,
    after,
    steps: input.steps.map((s) => ({
      operator: s.operator,
      durationMs: s.durationMs,
      ...(s.report !== undefined ? { report: toJsonValue(s.report) as Record<string, unknown> } : {}),
    })),
    backend: input.backend,
    durationMs: input.durationMs,
    warnings: input.warnings,
  };
  return validateReport(report);
}
