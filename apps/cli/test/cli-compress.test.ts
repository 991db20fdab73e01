import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createOrtWebBackend } from '@metacompress/backend-ort';
import { decodeOnnx } from '@metacompress/ir';
import { loadMnist, fitToInput } from '@metacompress/tasks';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../src/io';
import { main } from '../src/main';

const fixtures = resolve(import.meta.dirname, '../../../fixtures/models');

/** Runs onnx.checker (full check) on written files when Debian's python3-onnx is there (an optional extra check). */
function onnxChecker(...files: string[]): void {
  const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0);
  if (!python) return void console.log('no python3 with onnx here; the ONNX checker was not run');
  const check = spawnSync(python, ['-c', 'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok")', ...files], { encoding: 'utf8' });
  expect(check.stderr).toBe('');
  expect(check.stdout.trim()).toBe('ok');
}

async function run(cwd: string, ...argv: string[]) {
  const io = memoryIo({ cwd });
  const code = await main(argv, io);
  return { code, ...io };
}

describe('compress', () => {
  it('quantizes LeNet-5 to int8: ≤ 0.3 pt lost on the full test set, file ≤ 0.3×, reports written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-int8-'));
    const input = join(fixtures, 'lenet5.onnx');
    const { code, stdout, stderr } = await run(dir, 'compress', input, '--target', 'macs=1', '--quantize', 'int8', '--data', 'mnist', '-o', 'int8.onnx', '--latency-runs', '3', '--json');
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    for (const side of ['before', 'after']) {
      for (const key of ['params', 'macs', 'bytes', 'accuracy', 'latencyMs']) expect(report[side]).toHaveProperty(key);
    }
    expect(report).toHaveProperty('policy');
    expect(report).toHaveProperty('backend');
    expect(report.durationMs).toBeGreaterThan(0);
    expect((await readdir(dir)).sort()).toEqual(['int8.onnx', 'int8.report.html', 'int8.report.json']);
    const written = await readFile(join(dir, 'int8.onnx'));
    expect(written.byteLength / (await stat(input)).size).toBeLessThanOrEqual(0.3);
    // Independent check: evaluate the written file ourselves on the full MNIST test set.
    const graph = decodeOnnx(written);
    // Every conv/gemm weight (61,470 of LeNet-5's 61,706 params) is stored in 8 bits, whether the
    // latency gate kept int8 compute or decodes the weights to float at load.
    const eightBit = graph.initializers.filter((t) => t.dataType === 2 || t.dataType === 3);
    expect(eightBit.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0)).toBeGreaterThanOrEqual(61470);
    const ort = await createOrtWebBackend({ numThreads: 1 });
    const test = fitToInput(await loadMnist({ split: 'test' }), ['N', 1, 28, 28]);
    const [orig, quant] = [await ort.evaluate(new Uint8Array(await readFile(input)), test), await ort.evaluate(new Uint8Array(written), test)];
    expect(quant.samples).toBe(10000);
    expect(orig.accuracy - quant.accuracy).toBeLessThanOrEqual(0.003);
    expect(report.after.accuracy).toBeCloseTo(quant.accuracy, 6);
    expect(JSON.parse(await readFile(join(dir, 'int8.report.json'), 'utf8')).after.fileBytes).toBe(written.byteLength);
    onnxChecker(join(dir, 'int8.onnx'));
  }, 180_000);

  it('prunes to a MACs budget with a short fine-tune and writes a model that runs, also as TF.js', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mc-prune-'));
    const { code, stdout } = await run(dir, 'compress', join(fixtures, 'lenet5.onnx'), '--target', 'macs=0.5', '--policy', 'uniform', '--finetune-steps', '30', '--data', 'mnist', '--eval-limit', '2000', '--latency-runs', '0', '-o', 'out/', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.output.format).toBe('tfjs');
    expect(Math.abs(report.after.macs / report.before.macs - 0.5)).toBeLessThan(0.02);
    expect(report.after.accuracy).toBeGreaterThan(0.9);
    expect(report.steps.map((s: { operator: string }) => s.operator)).toEqual(['channel-prune', 'distill']);
    expect(report.policy.groups.some((g: { channelsAfter: number; channelsBefore: number }) => g.channelsAfter < g.channelsBefore)).toBe(true);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['group1-shard1of1.bin', 'model.json', 'report.html', 'report.json']);
  }, 180_000);
});
