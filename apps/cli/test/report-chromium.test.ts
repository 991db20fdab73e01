import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport, type CompressionReport } from '../src/report/index';
import { sampleReport } from '../src/report/test-sample';

// The HTML report, opened in a real headless Chromium (Debian's `chromium` package; CI installs it).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const SCRIPT_ID = '<script>window.__pwned = 1</script>';
const ATTR_ID = '"><img src=x onerror="window.__pwned=2">';

function hostileSample(): CompressionReport {
  const r = sampleReport();
  r.policy.groups.push({ id: SCRIPT_ID, channelsBefore: 10, channelsAfter: 3, keep: 0.3, weightBits: 4 });
  r.policy.groups.push({ id: ATTR_ID, channelsBefore: 24, channelsAfter: 18, keep: 0.75, weightBits: 16 });
  r.warnings.push(`group ${SCRIPT_ID} kept float32`);
  return r;
}

const text = (s: string | null) => (s ?? '').replace(/\u00a0/g, ' ').trim();

let dir: string;
let context: BrowserContext;
let page: Page;
let fileUrl: string;
const requests: string[] = [];
const consoleErrors: string[] = [];
const report = hostileSample();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the HTML report test needs a headless Chromium. ` +
        "Install Debian's 'chromium' package (CI does) or set CHROMIUM_PATH to a Chromium binary.",
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'mc-report-chromium-'));
  const htmlPath = join(dir, 'report.html');
  await writeFile(htmlPath, renderHtmlReport(report));
  fileUrl = pathToFileURL(htmlPath).href;
  // A persistent context is how Playwright takes a fresh user-data dir.
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: 1100, height: 900 },
  });
  context.on('request', (request) => void requests.push(request.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => void consoleErrors.push(String(error)));
  await page.goto(fileUrl, { waitUntil: 'load' });
});

afterAll(async () => {
  await context?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the HTML report in headless Chromium', () => {
  it('has a title naming the model and accessible tables and charts', async () => {
    expect(await page.title()).toBe('lenet5-wide.onnx — compression report');
    expect(await page.locator('h1').textContent()).toBe('lenet5-wide.onnx → lenet5-wide.small.onnx');
    const headers = await page.locator('table.comparison thead th').allTextContents();
    expect(headers).toEqual(['Metric', 'Before', 'After', 'Ratio', 'Change']);
    expect(await page.locator('table.comparison thead th[scope="col"]').count()).toBe(5);
    for (const svg of ['svg.policy-chart', 'svg.steps-chart']) {
      expect(await page.locator(svg).getAttribute('role')).toBe('img');
      const titleId = (await page.locator(svg).getAttribute('aria-labelledby'))!.split(' ')[0];
      expect(text(await page.locator(`${svg} > title#${titleId}`).textContent()).length).toBeGreaterThan(10);
    }
  });

  it('shows the before/after values, formatted', async () => {
    const row = async (key: string) =>
      (await page.locator(`table.comparison tr[data-key="${key}"] > *`).allTextContents()).map(text);
    expect(await row('params')).toEqual(['Parameters', '643,850', '82,920', '0.129×', '−87.1 %']);
    expect(await row('macs')).toEqual(['MACs / sample', '4,328,704', '1,068,672', '0.247×', '−75.3 %']);
    expect(await row('bytes')).toEqual(['Weight bytes', '2.46 MiB', '108.9 KiB', '0.043×', '−95.7 %']);
    expect(await row('fileBytes')).toEqual(['File size', '2.46 MiB', '112.2 KiB', '0.045×', '−95.5 %']);
    expect(await row('accuracy')).toEqual(['Accuracy (test)', '99.12 %', '98.74 %', '0.996×', '−0.38 pp']);
    // Latency: the median, then the p10–p90 spread beneath it.
    expect(await row('latency1')).toEqual([
      'Latency, batch 1',
      '0.412 ms0.398–0.447 ms',
      '0.171 ms0.163–0.188 ms',
      '0.415×',
      '−58.5 %',
    ]);
    expect(await row('latency64')).toEqual([
      'Latency, batch 64',
      '9.84 ms9.61–10.42 ms',
      '3.02 ms2.94–3.25 ms',
      '0.307×',
      '−69.3 %',
    ]);
    expect(await page.locator('tr[data-key="accuracy"] td.change').getAttribute('class')).toContain('worse');
    expect(await page.locator('tr[data-key="macs"] td.change').getAttribute('class')).toContain('better');
  });

  it('draws one bar per group whose kept width is the kept share of channels', async () => {
    const bars = await page.locator('svg.policy-chart g.group').evaluateAll((groups) =>
      groups.map((g) => ({
        id: g.getAttribute('data-group'),
        label: g.querySelector('text.label.wide')?.textContent,
        value: g.querySelector('text.value.wide')?.textContent,
        kept: g.querySelector('rect.bar-kept')!.getBoundingClientRect().width,
        track: g.querySelector('rect.bar-track')!.getBoundingClientRect().width,
      })),
    );
    expect(bars.map((b) => b.id)).toEqual(report.policy.groups.map((g) => g.id));
    for (const [i, g] of report.policy.groups.entries()) {
      expect(bars[i].track).toBeGreaterThan(500);
      expect(bars[i].kept / bars[i].track).toBeCloseTo(g.channelsAfter / g.channelsBefore, 2);
      expect(bars[i].label).toBe(g.id);
      expect(text(bars[i].value ?? '')).toContain(`${g.channelsAfter} / ${g.channelsBefore} ch`);
      expect(text(bars[i].value ?? '')).toContain(
        `${Math.round((100 * g.channelsAfter) / g.channelsBefore)} % kept`,
      );
    }
    expect(bars[0].value).toContain('int8');
    expect(bars[3].value).not.toMatch(/int|fp16/);
    expect(bars[4].value).toContain('int4');
    expect(bars[5].value).toContain('fp16');
  });

  it('shows hostile group ids as text and runs nothing', async () => {
    // Page callbacks reach the DOM through globalThis: the CLI's tsconfig has no DOM lib.
    const state = await page.evaluate(() => {
      const { document, __pwned } = globalThis as any;
      return {
        pwned: __pwned as number | undefined,
        scripts: document.scripts.length as number,
        images: document.images.length as number,
        warnings: [...document.querySelectorAll('.warnings li')].map((li: any) => li.textContent as string),
      };
    });
    expect(state).toEqual({ pwned: undefined, scripts: 0, images: 0, warnings: expect.any(Array) });
    expect(state.warnings).toContain(`group ${SCRIPT_ID} kept float32`);
    expect(
      await page.locator(`svg.policy-chart g.group[data-group='${SCRIPT_ID}'] text.label.wide`).textContent(),
    ).toBe(SCRIPT_ID);
  });

  it('lists steps, warnings and settings', async () => {
    const steps = await page.locator('svg.steps-chart g.step text.label').allTextContents();
    expect(steps).toEqual([
      '1. meta-policy',
      '2. prune',
      '3. quantize',
      '4. distill',
      'load, measure and write',
    ]);
    const settings = Object.fromEntries(
      await page
        .locator('#settings .kv-row')
        .evaluateAll((rows) =>
          rows.map((r) => [r.querySelector('dt')?.textContent, r.querySelector('dd')?.textContent]),
        ),
    );
    expect(settings).toMatchObject({
      Budget: 'keep 25.0 % of the MACs (macs=0.25)',
      'Inference runtime': 'ort-web, 1 thread',
      'Training backend': 'tfjs-wasm',
      'Policy source': 'meta (zero-shot)',
    });
  });

  it('fits a phone screen: nothing scrolls sideways and the narrow labels show', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const layout = await page.evaluate(() => {
        const { document, innerWidth } = globalThis as any;
        const shown = (selector: string) =>
          document.querySelector(selector).getBoundingClientRect().width > 0;
        return {
          page: document.documentElement.scrollWidth - innerWidth,
          table: [...document.querySelectorAll('.comparison')].map(
            (t: any) => t.parentElement.scrollWidth - t.parentElement.clientWidth,
          ),
          narrowLabel: shown('svg.policy-chart text.label.narrow'),
          wideLabel: shown('svg.policy-chart text.label.wide'),
        };
      });
      expect(layout).toEqual({ page: 0, table: [0], narrowLabel: true, wideLabel: false });
    } finally {
      await page.setViewportSize({ width: 1100, height: 900 });
    }
  });

  it('renders to a screenshot', async () => {
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = await readFile(shot);
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1100); // IHDR width
    expect(png.readUInt32BE(20)).toBeGreaterThan(1500); // the whole page, not one screen
  });

  it('made no request but the file itself, and logged no error', async () => {
    expect(requests).toEqual([fileUrl]);
    expect(consoleErrors).toEqual([]);
  });

  it('(control) the request recorder does see a page that loads something', async () => {
    const control = join(dir, 'control.html');
    await writeFile(control, '<!doctype html><title>c</title><img src="missing.png" alt="">');
    const seen = requests.length;
    await page.goto(pathToFileURL(control).href, { waitUntil: 'load' });
    expect(requests.slice(seen)).toContain(pathToFileURL(join(dir, 'missing.png')).href);
  });
});
