import { BUDGET_METRICS, describe, ErrorCodes, MetacompressError } from '@metacompress/core';
import { INFERENCE_RUNTIMES, TFJS_BACKENDS, type CompressionReport, type ReportModelFormat } from './types';

type Obj = Record<string, unknown>;

const FORMATS: readonly ReportModelFormat[] = ['onnx', 'tfjs'];

/** Collects problems with field paths while walking an untrusted value. */
class Checker {
  readonly problems: string[] = [];

  fail(path: string, reason: string): void {
    this.problems.push(`${path}: ${reason}`);
  }

  object(value: unknown, path: string): Obj | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Obj;
    this.fail(path, `expected an object, got ${describe(value)}`);
    return undefined;
  }

  string(o: Obj, key: string, path: string, options: { nonEmpty?: boolean; oneOf?: readonly string[] } = {}) {
    const v = o[key];
    if (typeof v !== 'string') return this.fail(`${path}.${key}`, `expected a string, got ${describe(v)}`);
    if (options.nonEmpty && v.length === 0) return this.fail(`${path}.${key}`, 'must not be empty');
    if (options.oneOf && !options.oneOf.includes(v)) {
      this.fail(`${path}.${key}`, `expected one of ${options.oneOf.join(', ')}, got ${describe(v)}`);
    }
  }

  number(
    o: Obj,
    key: string,
    path: string,
    options: { min?: number; max?: number; integer?: boolean; optional?: boolean; above?: number } = {},
  ) {
    const v = o[key];
    if (v === undefined && options.optional) return;
    const at = `${path}.${key}`;
    if (typeof v !== 'number' || !Number.isFinite(v))
      return this.fail(at, `expected a finite number, got ${describe(v)}`);
    if (options.integer && !Number.isInteger(v)) this.fail(at, `expected an integer, got ${v}`);
    if (options.min !== undefined && v < options.min) this.fail(at, `must be ≥ ${options.min}, got ${v}`);
    if (options.above !== undefined && v <= options.above)
      this.fail(at, `must be > ${options.above}, got ${v}`);
    if (options.max !== undefined && v > options.max) this.fail(at, `must be ≤ ${options.max}, got ${v}`);
  }

  array(value: unknown, path: string): unknown[] {
    if (Array.isArray(value)) return value;
    this.fail(path, `expected an array, got ${describe(value)}`);
    return [];
  }

  json(value: unknown, path: string, depth = 0): void {
    if (depth > 64) return this.fail(path, 'nested too deeply');
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) this.fail(path, `not JSON: ${describe(value)}`);
      return;
    }
    if (Array.isArray(value)) return value.forEach((v, i) => this.json(v, `${path}[${i}]`, depth + 1));
    if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
      for (const [k, v] of Object.entries(value as Obj))
        if (v !== undefined) this.json(v, `${path}.${k}`, depth + 1);
      return;
    }
    this.fail(path, `not JSON: ${typeof value}`);
  }
}

function checkMetrics(c: Checker, value: unknown, path: string): void {
  const m = c.object(value, path);
  if (!m) return;
  for (const key of ['params', 'macs', 'bytes', 'fileBytes']) c.number(m, key, path, { min: 0 });
  c.number(m, 'accuracy', path, { min: 0, max: 1 });
  c.number(m, 'loss', path, { optional: true });
  const latency = c.object(m.latencyMs, `${path}.latencyMs`);
  if (!latency) return;
  for (const key of ['batch1', 'batch64']) {
    if (latency[key] === undefined) continue;
    const at = `${path}.latencyMs.${key}`;
    const l = c.object(latency[key], at);
    if (!l) continue;
    for (const k of ['medianMs', 'p10Ms', 'p90Ms']) c.number(l, k, at, { min: 0 });
    c.number(l, 'runs', at, { min: 1, integer: true, optional: true });
  }
}

/**
 * Every problem that stops `value` from being a {@link CompressionReport}, each as
 * `field.path: reason` (an empty array means it is one).
 *
 * @example
 * reportProblems({ ...report, after: { ...report.after, accuracy: 1.5 } }); // ['after.accuracy: must be ≤ 1, got 1.5']
 */
export function reportProblems(value: unknown): string[] {
  const c = new Checker();
  const r = c.object(value, '(root)');
  if (!r) return c.problems;
  c.number(r, 'reportVersion', '(root)', { integer: true, min: 1 });
  const tool = c.object(r.tool, 'tool');
  if (tool) {
    c.string(tool, 'name', 'tool', { nonEmpty: true });
    c.string(tool, 'version', 'tool', { nonEmpty: true });
  }
  c.string(r, 'createdAt', '(root)');
  if (typeof r.createdAt === 'string' && Number.isNaN(Date.parse(r.createdAt))) {
    c.fail('createdAt', `not an ISO date: ${describe(r.createdAt)}`);
  }
  const input = c.object(r.input, 'input');
  if (input) {
    c.string(input, 'path', 'input', { nonEmpty: true });
    c.string(input, 'format', 'input', { oneOf: FORMATS });
    c.string(input, 'sha256', 'input');
    if (typeof input.sha256 === 'string' && !/^[0-9a-f]{64}$/.test(input.sha256)) {
      c.fail('input.sha256', 'expected 64 lowercase hex digits');
    }
  }
  const output = c.object(r.output, 'output');
  if (output) {
    c.string(output, 'path', 'output', { nonEmpty: true });
    c.string(output, 'format', 'output', { oneOf: FORMATS });
    c.number(output, 'bytes', 'output', { min: 0, integer: true });
    if (
      output.sha256 !== undefined &&
      (typeof output.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(output.sha256))
    ) {
      c.fail('output.sha256', 'expected 64 lowercase hex digits');
    }
  }
  const dataset = c.object(r.dataset, 'dataset');
  if (dataset) {
    c.string(dataset, 'name', 'dataset', { nonEmpty: true });
    c.number(dataset, 'trainSamples', 'dataset', { min: 0, integer: true });
    c.number(dataset, 'testSamples', 'dataset', { min: 0, integer: true });
  }
  const budget = c.object(r.budget, 'budget');
  if (budget) {
    c.string(budget, 'metric', 'budget', { oneOf: BUDGET_METRICS });
    c.number(budget, 'ratio', 'budget', { above: 0, max: 1 });
    c.number(budget, 'achieved', 'budget', { min: 0, optional: true });
  }
  const policy = c.object(r.policy, 'policy');
  if (policy) {
    c.string(policy, 'source', 'policy');
    const seen = new Set<string>();
    c.array(policy.groups, 'policy.groups').forEach((value, i) => {
      const at = `policy.groups[${i}]`;
      const g = c.object(value, at);
      if (!g) return;
      c.string(g, 'id', at, { nonEmpty: true });
      if (typeof g.id === 'string') {
        if (seen.has(g.id)) c.fail(`${at}.id`, `duplicate group ${describe(g.id)}`);
        seen.add(g.id);
      }
      c.number(g, 'channelsBefore', at, { min: 0, integer: true });
      c.number(g, 'channelsAfter', at, { min: 0, integer: true });
      if (
        typeof g.channelsBefore === 'number' &&
        typeof g.channelsAfter === 'number' &&
        g.channelsAfter > g.channelsBefore
      ) {
        c.fail(`${at}.channelsAfter`, `more than channelsBefore (${g.channelsAfter} > ${g.channelsBefore})`);
      }
      c.number(g, 'keep', at, { min: 0, max: 1 });
      c.number(g, 'weightBits', at, { min: 1, max: 32, integer: true, optional: true });
    });
  }
  checkMetrics(c, r.before, 'before');
  checkMetrics(c, r.after, 'after');
  c.array(r.steps, 'steps').forEach((value, i) => {
    const at = `steps[${i}]`;
    const s = c.object(value, at);
    if (!s) return;
    c.string(s, 'operator', at, { nonEmpty: true });
    c.number(s, 'durationMs', at, { min: 0 });
    if (s.report !== undefined && c.object(s.report, `${at}.report`)) c.json(s.report, `${at}.report`);
  });
  const backend = c.object(r.backend, 'backend');
  if (backend) {
    if (backend.tfjs !== null) c.string(backend, 'tfjs', 'backend', { oneOf: TFJS_BACKENDS });
    c.string(backend, 'runtime', 'backend', { oneOf: INFERENCE_RUNTIMES });
    c.number(backend, 'threads', 'backend', { min: 1, integer: true });
  }
  c.number(r, 'durationMs', '(root)', { min: 0 });
  c.array(r.warnings, 'warnings').forEach((w, i) => {
    if (typeof w !== 'string') c.fail(`warnings[${i}]`, `expected a string, got ${describe(w)}`);
  });
  return c.problems.map((p) => p.replace(/^\(root\)\./, ''));
}

/**
 * Type guard: `value` is a complete, JSON-clean {@link CompressionReport}.
 *
 * @example
 * expect(isCompressionReport(JSON.parse(await readFile('report.json', 'utf8')))).toBe(true);
 */
export function isCompressionReport(value: unknown): value is CompressionReport {
  return reportProblems(value).length === 0;
}

/**
 * Returns `value` typed as a {@link CompressionReport}, or throws `MC_INVALID_ARGUMENT` naming
 * the first bad field (and how many more there are).
 *
 * @example
 * const report = validateReport(JSON.parse(text), 'report.json');
 */
export function validateReport(value: unknown, file?: string): CompressionReport {
  const problems = reportProblems(value);
  if (problems.length > 0) {
    const [first] = problems;
    const field = first.slice(0, first.indexOf(':'));
    const more =
      problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1, 4).join('; ')})` : '';
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `invalid compression report: ${first}${more}`, {
      field,
      ...(file ? { file } : {}),
    });
  }
  return value as CompressionReport;
}

/**
 * Parses report JSON text and validates it.
 *
 * @example
 * const report = parseReport(await readFile('report.json', 'utf8'), 'report.json');
 */
export function parseReport(text: string, file?: string): CompressionReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `report is not valid JSON: ${(error as Error).message}`,
      {
        field: '(root)',
        ...(file ? { file } : {}),
      },
    );
  }
  return validateReport(value, file);
}
