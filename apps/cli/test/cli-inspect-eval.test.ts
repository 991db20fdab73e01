import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../src/io';
import { main } from '../src/main';

const fixtures = resolve(import.meta.dirname, '../../../fixtures/models');

async function run(...argv: string[]) {
  const io = memoryIo({ cwd: fixtures });
  const code = await main(argv, io);
  return { code, ...io };
}

describe('inspect', () => {
  it('reports params, MACs, bytes and coupling groups as JSON (LeNet-5 hand count)', async () => {
    const { code, stdout } = await run('inspect', 'lenet5.onnx', '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout);
    // conv1 6·1·5·5+6, conv2 16·6·5·5+16, fc 400·120+120, 120·84+84, 84·10+10
    expect(info.params).toBe(156 + 2416 + 48120 + 10164 + 850);
    // conv1 28·28·6·25, conv2 10·10·16·150, fc 400·120 + 120·84 + 84·10
    expect(info.macs).toBe(117600 + 240000 + 48000 + 10080 + 840);
    expect(info.bytes).toBeGreaterThan(info.params * 4 - 1);
    expect(info.groups.filter((g: { prunable: boolean }) => g.prunable).map((g: { channels: number }) => g.channels)).toEqual([6, 16, 120, 84]);
    expect(info.groups.find((g: { prunable: boolean }) => !g.prunable).reason).toMatch(/graph output/);
  });

  it('prints a readable summary without --json', async () => {
    const { code, stdout } = await run('inspect', 'resnet.onnx');
    expect(code).toBe(0);
    expect(stdout).toMatch(/params 174,410/);
    expect(stdout).toMatch(/Add×6/);
  });
});

describe('eval', () => {
  it('measures accuracy and latency in onnxruntime-web', async () => {
    const { code, stdout } = await run('eval', 'lenet300.onnx', '--data', 'mnist', '--limit', '1000', '--latency-runs', '3', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.samples).toBe(1000);
    expect(result.accuracy).toBeGreaterThan(0.95);
    expect(result.runtime).toBe('ort-web');
    expect(result.latencyMs.batch64.medianMs).toBeGreaterThan(0);
  });

  it('rejects data that does not fit the model input', async () => {
    const { code, stderr } = await run('eval', 'lenet5.onnx', '--data', 'mnist', '--layout', 'flat', '--latency-runs', '0');
    expect(code).toBe(3);
    expect(stderr).toMatch(/MC_SHAPE_MISMATCH/);
  });
});
