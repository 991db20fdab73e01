import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../src/io';
import { main } from '../src/main';

const lenet = resolve(import.meta.dirname, '../../../fixtures/models/lenet5.onnx');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-cli-'));
  await copyFile(lenet, join(dir, 'model.onnx'));
  const bytes = await readFile(lenet);
  await writeFile(join(dir, 'truncated.onnx'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  await writeFile(join(dir, 'notes.onnx'), 'these are not protobuf bytes at all\n');
  await mkdir(join(dir, 'folder.onnx'));
});

async function run(...argv: string[]) {
  const io = memoryIo({ cwd: dir });
  const code = await main(argv, io);
  return { code, ...io };
}

function expectOneLineError(stderr: string) {
  const lines = stderr.trim().split('\n');
  expect(lines.length).toBeLessThanOrEqual(2); // the error, and for usage errors a hint
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(lines[0]).toMatch(/^metacompress/);
}

describe('bad input to compress', () => {
  const base = ['--data', 'mnist', '-o', 'out.onnx', '--latency-runs', '0'];
  it.each([
    ['a missing file', ['compress', 'missing.onnx', '--target', 'macs=0.5', ...base], 3, /MC_FILE_NOT_FOUND.*missing\.onnx/],
    ['a truncated file', ['compress', 'truncated.onnx', '--target', 'macs=0.5', ...base], 3, /MC_ONNX_TRUNCATED.*truncated\.onnx/],
    ['a non-ONNX file', ['compress', 'notes.onnx', '--target', 'macs=0.5', ...base], 3, /MC_ONNX_(DECODE|TRUNCATED).*notes\.onnx/],
    ['a directory', ['compress', 'folder.onnx', '--target', 'macs=0.5', ...base], 3, /MC_NOT_A_FILE.*folder\.onnx/],
    ['the output equal to the input', ['compress', 'model.onnx', '--target', 'macs=0.5', '--data', 'mnist', '-o', 'model.onnx'], 3, /MC_OUTPUT_IS_INPUT/],
    ['an unknown target metric', ['compress', 'model.onnx', '--target', 'flops=0.5', ...base], 3, /MC_BUDGET_INVALID.*unknown metric "flops"/],
    ['a ratio of 0', ['compress', 'model.onnx', '--target', 'macs=0', ...base], 3, /MC_BUDGET_INVALID.*ratio/],
    ['a ratio of 2', ['compress', 'model.onnx', '--target', 'macs=2', ...base], 3, /MC_BUDGET_INVALID.*ratio/],
    ['no target', ['compress', 'model.onnx', ...base], 2, /--target is required/],
    ['an unknown flag', ['compress', 'model.onnx', '--target', 'macs=0.5', '--frobnicate', ...base], 2, /frobnicate/],
    ['an unknown quantization', ['compress', 'model.onnx', '--target', 'macs=1', '--quantize', 'int3', ...base], 2, /--quantize/],
  ])('%s: one line, non-zero exit, nothing written', async (_name, argv, exitCode, message) => {
    const before = (await readdir(dir)).sort();
    const original = await readFile(join(dir, 'model.onnx'));
    const { code, stderr, stdout } = await run(...argv);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expectOneLineError(stderr);
    expect((await readdir(dir)).sort()).toEqual(before);
    expect(Buffer.compare(await readFile(join(dir, 'model.onnx')), original)).toBe(0);
  });

  it('prints the stack only with --verbose', async () => {
    const { code, stderr } = await run('compress', 'missing.onnx', '--target', 'macs=0.5', '--verbose', ...base);
    expect(code).toBe(3);
    expect(stderr).toMatch(/\n\s+at /);
  });
});

describe('dispatch', () => {
  it('shows help, the version, and rejects unknown commands', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    for (const name of ['compress', 'inspect', 'eval']) expect(help.stdout).toContain(name);
    const version = await run('--version');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const unknown = await run('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const compressHelp = await run('compress', '--help');
    expect(compressHelp.code).toBe(0);
    expect(compressHelp.stdout).toMatch(/--target/);
    expect(compressHelp.stdout).toMatch(/--quantize/);
  });
});
