import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeOnnx, toFloat32 } from '@metacompress/ir';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateOperatorPackage, workspaceRoot } from '../../../tools/generators/src/operator';
import { memoryIo } from '../src/io';
import { main } from '../src/main';

/**
 * The operator package the workspace generator scaffolds, built as its author would, loaded with
 * `--operator` and run inside the `compress` pipeline.
 */
const lenet = resolve(workspaceRoot, 'fixtures/models/lenet5.onnx');
let dir: string;
let packageDir: string;

function zeros(bytes: Uint8Array): number {
  let n = 0;
  for (const t of decodeOnnx(bytes).initializers) if (t.dataType === 1 && t.dims.length >= 2) for (const v of toFloat32(t)) if (v === 0) n++;
  return n;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-plugin-'));
  // A node_modules of links to the repository's, as `npm install` of the plugin would provide.
  mkdirSync(join(dir, 'node_modules'));
  for (const entry of readdirSync(join(workspaceRoot, 'node_modules'))) {
    if (!entry.startsWith('.')) symlinkSync(join(workspaceRoot, 'node_modules', entry), join(dir, 'node_modules', entry), 'junction');
  }
  const generated = await generateOperatorPackage({ name: 'zero-small', dir, description: 'Zero small weights (test plugin).' });
  packageDir = generated.packageDir;
  symlinkSync(join(dir, 'node_modules'), join(packageDir, 'node_modules'), 'junction');
  const build = spawnSync(process.execPath, [join(workspaceRoot, 'node_modules/tsup/dist/cli-default.js')], { cwd: packageDir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(build.status, build.stderr + build.stdout).toBe(0);
  writeFileSync(join(dir, 'metacompress.config.json'), JSON.stringify({ options: { 'zero-small': { threshold: 0.02 } } }));
}, 180_000);

describe('--operator', () => {
  it('loads the generated plugin by path and runs it in the pipeline with options from the config file', async () => {
    // A child process, as a user runs it: the plugin's built module imports @metacompress/core itself.
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@metacompress/source', resolve(import.meta.dirname, '../src/cli.ts'), 'compress', lenet, '--target', 'macs=1', '--operator', packageDir, '--finetune-epochs', '0', '--data', 'mnist', '--eval-limit', '1000', '--latency-runs', '0', '-o', 'out.onnx', '--json'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 110_000 },
    );
    expect(cli.stderr).not.toMatch(/error/);
    expect(cli.status).toBe(0);
    const report = JSON.parse(cli.stdout);
    const step = report.steps.find((s: { operator: string }) => s.operator === 'zero-small');
    expect(step.report.zeroed).toBeGreaterThan(0);
    const before = zeros(new Uint8Array(await readFile(lenet)));
    const after = zeros(new Uint8Array(await readFile(join(dir, 'out.onnx'))));
    expect(after - before).toBe(step.report.zeroed);
    expect(report.after.accuracy).toBeGreaterThan(0.9);
  }, 120_000);

  it('rejects a module that is not an operator, naming it', async () => {
    writeFileSync(join(dir, 'not-an-operator.mjs'), 'export default { name: "nope" };\n');
    const io = memoryIo({ cwd: dir });
    const code = await main(['compress', lenet, '--target', 'macs=1', '--operator', './not-an-operator.mjs', '--data', 'mnist', '-o', 'x.onnx'], io);
    expect(code).toBe(3);
    expect(io.stderr).toMatch(/MC_PLUGIN_INVALID.*not-an-operator\.mjs/);
  });
});
