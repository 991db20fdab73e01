import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  achievedRatio,
  createReport,
  isCompressionReport,
  parseReport,
  reportProblems,
  sha256Hex,
  toJsonValue,
  validateReport,
  writeReports,
  type CompressionReport,
} from '../src/report/index';
import { sampleReport } from '../src/report/test-sample';
import { version } from '../src/version';

const tempDir = () => mkdtemp(join(tmpdir(), 'mc-report-'));

describe('CompressionReport validation', () => {
  it('accepts the sample and survives a JSON round trip unchanged', () => {
    const report = sampleReport();
    expect(reportProblems(report)).toEqual([]);
    expect(isCompressionReport(report)).toBe(true);
    const again = parseReport(JSON.stringify(report));
    expect(again).toEqual(report);
  });

  it('keeps the field names the --json output promises', () => {
    const report = sampleReport();
    for (const key of [
      'before',
      'after',
      'policy',
      'backend',
      'durationMs',
      'budget',
      'steps',
      'warnings',
      'dataset',
    ]) {
      expect(report).toHaveProperty(key);
    }
    for (const key of ['params', 'macs', 'bytes', 'fileBytes', 'accuracy', 'latencyMs']) {
      expect(report.before).toHaveProperty(key);
    }
  });

  it('names every bad field by its path', () => {
    const r = sampleReport() as unknown as Record<string, any>;
    r.after.accuracy = 1.5;
    delete r.before.macs;
    r.before.loss = Number.NaN;
    r.policy.groups[1].id = r.policy.groups[0].id;
    r.policy.groups[2].channelsAfter = 600;
    r.backend.tfjs = 'tfjs-webgpu';
    r.input.sha256 = 'ABC';
    r.steps[0].report = { f: () => 1 };
    r.budget.ratio = 0;
    r.warnings = ['ok', 3];
    const problems = reportProblems(r);
    const fields = problems.map((p) => p.slice(0, p.indexOf(':')));
    expect(fields).toEqual(
      expect.arrayContaining([
        'after.accuracy',
        'before.macs',
        'before.loss',
        'policy.groups[1].id',
        'policy.groups[2].channelsAfter',
        'backend.tfjs',
        'input.sha256',
        'steps[0].report.f',
        'budget.ratio',
        'warnings[1]',
      ]),
    );
    expect(problems).toHaveLength(10);
    expect(isCompressionReport(r)).toBe(false);
  });

  it('validateReport throws MC_INVALID_ARGUMENT with the first field; parseReport rejects bad JSON', () => {
    const r = sampleReport();
    r.after.latencyMs.batch1 = { medianMs: -1, p10Ms: 0, p90Ms: 0 };
    expect(() => validateReport(r, 'x.json')).toThrow(
      expect.objectContaining({
        code: 'MC_INVALID_ARGUMENT',
        details: { field: 'after.latencyMs.batch1.medianMs', file: 'x.json' },
      }),
    );
    expect(() => parseReport('{"reportVersion": 1,')).toThrow(/not valid JSON/);
    expect(() => parseReport('[]')).toThrow(/expected an object/);
  });

  it('allows latency to be absent (not measured) and tfjs to be null (no differentiable step)', () => {
    const r = sampleReport();
    r.before.latencyMs = {};
    r.after.latencyMs = {};
    r.backend.tfjs = null;
    delete r.before.loss;
    expect(reportProblems(r)).toEqual([]);
  });
});

describe('createReport', () => {
  const input = () => {
    const { reportVersion: _v, tool: _t, createdAt: _c, ...rest } = sampleReport();
    return { ...rest, budget: { metric: rest.budget.metric, ratio: rest.budget.ratio } };
  };

  it('fills version, tool, date and the achieved ratio of the budget metric', () => {
    const report = createReport({ ...input(), createdAt: new Date('2025-01-02T03:04:05Z') });
    expect(report.reportVersion).toBe(1);
    expect(report.tool).toEqual({ name: 'metacompress', version });
    expect(report.createdAt).toBe('2025-01-02T03:04:05.000Z');
    expect(report.budget.achieved).toBeCloseTo(1068672 / 4328704, 12);
    expect(Object.keys(report).slice(0, 4)).toEqual(['reportVersion', 'tool', 'createdAt', 'input']);
  });

  it('computes a latency budget from the batch-1 medians, and leaves it out when not measured', () => {
    const base = input();
    const latency = createReport({ ...base, budget: { metric: 'latency', ratio: 0.5 } });
    expect(latency.budget.achieved).toBeCloseTo(0.171 / 0.412, 12);
    expect(achievedRatio(base.before, base.after, 'latency', 'batch64')).toBeCloseTo(3.02 / 9.84, 12);
    const unmeasured = createReport({
      ...base,
      before: { ...base.before, latencyMs: {} },
      budget: { metric: 'latency', ratio: 0.5 },
    });
    expect(unmeasured.budget).toEqual({ metric: 'latency', ratio: 0.5 });
  });

  it('turns step reports into plain JSON', () => {
    const base = input();
    const report = createReport({
      ...base,
      steps: [
        {
          operator: 'quantize',
          durationMs: 3,
          report: { scales: new Float32Array([0.5, 0.25]), bad: NaN, gone: undefined },
        },
      ],
    });
    expect(report.steps[0].report).toEqual({ scales: [0.5, 0.25], bad: null });
    expect(toJsonValue(new Map([['a', new Set([1n, 2n])]]))).toEqual({ a: [1, 2] });
    expect(isCompressionReport(JSON.parse(JSON.stringify(report)))).toBe(true);
  });

  it('refuses a report with a non-finite measurement, naming the field', () => {
    const base = input();
    expect(() => createReport({ ...base, after: { ...base.after, accuracy: Number.NaN } })).toThrow(
      /after\.accuracy/,
    );
  });

  it('sha256Hex matches the known digest of "abc"', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe(sha256Hex('abc'));
  });
});

describe('writeReports', () => {
  it('writes the JSON and the HTML atomically (no temporary files left)', async () => {
    const dir = await tempDir();
    const report = sampleReport();
    const written = await writeReports(report, {
      jsonPath: join(dir, 'r.json'),
      htmlPath: join(dir, 'sub', 'r.html'),
    });
    expect(written).toEqual({ jsonPath: join(dir, 'r.json'), htmlPath: join(dir, 'sub', 'r.html') });
    const json = await readFile(join(dir, 'r.json'), 'utf8');
    expect(json.endsWith('}\n')).toBe(true);
    expect(JSON.parse(json) as CompressionReport).toEqual(report);
    const page = await readFile(join(dir, 'sub', 'r.html'), 'utf8');
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['r.json', 'sub']);
    expect(await readdir(join(dir, 'sub'))).toEqual(['r.html']);
  });

  it('never overwrites a protected input, and then writes neither report', async () => {
    const dir = await tempDir();
    const model = join(dir, 'model.onnx');
    await writeFile(model, 'original');
    await expect(
      writeReports(sampleReport(), { jsonPath: join(dir, 'r.json'), htmlPath: model, protect: [model] }),
    ).rejects.toMatchObject({ code: 'MC_OUTPUT_IS_INPUT', details: { file: model } });
    expect(await readFile(model, 'utf8')).toBe('original');
    expect(await readdir(dir)).toEqual(['model.onnx']);
  });

  it('rejects an invalid report or one path for both, writing nothing', async () => {
    const dir = await tempDir();
    const bad = sampleReport();
    bad.after.fileBytes = -1;
    await expect(writeReports(bad, { jsonPath: join(dir, 'r.json') })).rejects.toMatchObject({
      code: 'MC_INVALID_ARGUMENT',
      details: { field: 'after.fileBytes' },
    });
    await expect(
      writeReports(sampleReport(), { jsonPath: join(dir, 'r'), htmlPath: join(dir, '.', 'r') }),
    ).rejects.toThrow(/cannot share a path/);
    expect(await readdir(dir)).toEqual([]);
  });
});
