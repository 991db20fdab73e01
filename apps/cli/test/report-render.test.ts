import { describe, expect, it } from 'vitest';
import { comparisonRows, escapeHtml, renderHtmlReport, renderTextSummary } from '../src/report/index';
import { sampleReport } from '../src/report/test-sample';

const HOSTILE = '<script>alert("x")</script>';
const HOSTILE_ATTR = '"><img src=x onerror=alert(1)>';

/** A report whose every free-text field carries markup. */
function hostileReport() {
  const r = sampleReport();
  r.policy.groups.push({ id: HOSTILE, channelsBefore: 10, channelsAfter: 5, keep: 0.5 });
  r.policy.groups.push({ id: HOSTILE_ATTR, channelsBefore: 8, channelsAfter: 8, keep: 1, weightBits: 4 });
  r.policy.source = `<b>${HOSTILE}</b>`;
  r.input.path = `/tmp/${HOSTILE}.onnx`;
  r.output.path = `/tmp/${HOSTILE_ATTR}.onnx`;
  r.dataset.name = HOSTILE;
  r.warnings.push(HOSTILE);
  r.steps.push({
    operator: HOSTILE,
    durationMs: 1,
    report: { [HOSTILE]: HOSTILE_ATTR, nested: { x: HOSTILE } },
  });
  r.tool.version = HOSTILE_ATTR;
  return r;
}

const cells = (summary: string, label: string) =>
  summary
    .split('\n')
    .find((l) => l.startsWith(label))
    ?.slice(label.length)
    .trim()
    .split(/\s{2,}/);

describe('renderTextSummary', () => {
  it('prints the before/after table with formatted values, the budget line and the warnings', () => {
    const text = renderTextSummary(sampleReport());
    expect(text.split('\n')[0].split(/\s{2,}/)).toEqual(['metric', 'before', 'after', 'ratio', 'change']);
    expect(cells(text, 'Parameters')).toEqual(['643,850', '82,920', '0.129×', '−87.1 %']);
    expect(cells(text, 'MACs / sample')).toEqual(['4,328,704', '1,068,672', '0.247×', '−75.3 %']);
    expect(cells(text, 'File size')).toEqual(['2.46 MiB', '112.2 KiB', '0.045×', '−95.5 %']);
    expect(cells(text, 'Accuracy (test)')).toEqual(['99.12 %', '98.74 %', '0.996×', '−0.38 pp']);
    expect(cells(text, 'Latency, batch 64')).toEqual(['9.84 ms', '3.02 ms', '0.307×', '−69.3 %']);
    expect(text).toContain('budget macs=0.25: achieved 0.247× (within target)');
    expect(text).toContain('in ort-web (1 thread)');
    expect(text).toMatch(/^warning: quantize: int8 weights made '\/fc2\/Gemm'/m);
    expect(renderTextSummary(sampleReport(), { warnings: false })).not.toContain('warning:');
  });

  it('says when the budget was missed or not measured', () => {
    const over = sampleReport();
    over.budget.achieved = 0.3;
    expect(renderTextSummary(over)).toContain('achieved 0.300× (ABOVE TARGET)');
    const unmeasured = sampleReport();
    delete unmeasured.budget.achieved;
    expect(renderTextSummary(unmeasured)).toContain('achieved – (not measured)');
  });
});

describe('comparisonRows', () => {
  it('drops the loss and latency rows that were not measured', () => {
    const r = sampleReport();
    delete r.after.loss;
    r.before.latencyMs = { batch64: r.before.latencyMs.batch64 };
    r.after.latencyMs = { batch64: r.after.latencyMs.batch64 };
    expect(comparisonRows(r).map((row) => row.key)).toEqual([
      'params',
      'macs',
      'bytes',
      'fileBytes',
      'accuracy',
      'latency64',
    ]);
  });

  it('judges direction: fewer MACs and higher accuracy are better, slower latency is worse', () => {
    const r = sampleReport();
    r.after.accuracy = 0.995;
    r.after.latencyMs.batch1 = { medianMs: 0.6, p10Ms: 0.58, p90Ms: 0.7 };
    r.after.latencyMs.batch64 = { medianMs: 9.9, p10Ms: 9.7, p90Ms: 10.1 };
    const tone = Object.fromEntries(comparisonRows(r).map((row) => [row.key, row.tone]));
    expect(tone).toMatchObject({
      macs: 'better',
      accuracy: 'better',
      latency1: 'worse',
      latency64: 'same',
      loss: 'worse',
    });
  });
});

describe('renderHtmlReport (markup)', () => {
  it('is a self-contained page: charset, viewport, a CSP without scripts, a title naming the model', () => {
    const page = renderHtmlReport(sampleReport());
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain('<title>lenet5-wide.onnx — compression report</title>');
    expect(page).toMatch(/Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'/);
    expect(page).not.toMatch(/<script|<link|<iframe|@import|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
  });

  it('escapes every string from the report', () => {
    const page = renderHtmlReport(hostileReport());
    expect(page).not.toMatch(/<script|<img|<b>|onerror=alert\(1\)>/i);
    expect(page).toContain(escapeHtml(HOSTILE));
    expect(page).toContain(`data-group="${escapeHtml(HOSTILE_ATTR)}"`);
    // The only elements are the ones the renderer writes.
    const tags = new Set([...page.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()));
    const allowed =
      'html head meta title style body main header p h1 h2 span a div section table caption thead tbody tr th td svg desc g text tspan rect ul li details summary code dl dt dd pre footer';
    expect([...tags].filter((t) => !allowed.split(' ').includes(t))).toEqual([]);
  });

  it('draws one bar per group, with the kept share as its width', () => {
    const r = sampleReport();
    const page = renderHtmlReport(r);
    const kept = [...page.matchAll(/<rect class="bar-kept [^"]*"[^>]*width="([\d.]+)%"/g)].map((m) =>
      Number(m[1]),
    );
    expect(kept).toEqual(
      r.policy.groups.map((g) => Number(((g.channelsAfter / g.channelsBefore) * 100).toFixed(3))),
    );
    expect(page.match(/<g class="group"/g)).toHaveLength(r.policy.groups.length);
  });

  it('shortens long group ids in the middle on the chart, keeping the full id in its title and table', () => {
    const r = sampleReport();
    const id = '/layer3/layer3.0/downsample/downsample.0/Conv_output_0[0:128]/and/some/more/path/Conv';
    r.policy.groups = [{ id, channelsBefore: 8, channelsAfter: 4, keep: 0.5 }];
    const page = renderHtmlReport(r);
    const wide = /<text class="label wide"[^>]*>([^<]*)<\/text>/.exec(page)![1];
    const narrow = /<text class="label narrow"[^>]*>([^<]*)<\/text>/.exec(page)![1];
    expect([...wide]).toHaveLength(60);
    expect([...narrow]).toHaveLength(22);
    for (const label of [wide, narrow]) {
      const [head, tail] = label.split('…');
      expect(id.startsWith(head) && id.endsWith(tail)).toBe(true);
    }
    expect(page).toContain(`<title>${id}: 4 of 8 channels kept`);
    expect(page).toContain(`<code>${id}</code>`);
  });

  it('handles an empty policy, no steps, no warnings and no latency', () => {
    const r = sampleReport();
    r.policy.groups = [];
    r.steps = [];
    r.warnings = [];
    r.before.latencyMs = {};
    r.after.latencyMs = {};
    const page = renderHtmlReport(r);
    expect(page).toContain('The policy changes no group.');
    expect(page).toContain('No warnings.');
    expect(page).not.toContain('Latency, batch');
    expect(page).not.toContain('class="notice"');
  });
});
