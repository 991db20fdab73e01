import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOperatorPackage, GeneratorError, toIdentifier, workspaceRoot } from './operator';

/**
 * Generates operator packages into temporary folders outside the repository and runs what their
 * author would run: the type checker, the generated test, the build, then loads the built package
 * as ESM and CJS. Node finds the workspace's packages through a node_modules folder of links to
 * the repository's node_modules. The standalone flavor consumes @metacompress/core and ir as
 * published (their dist/, built by the `^build` dependency of this project's nx test target).
 */

const nodeModules = join(workspaceRoot, 'node_modules');
const tools = {
  tsc: join(nodeModules, 'typescript', 'bin', 'tsc'),
  vitest: join(nodeModules, 'vitest', 'vitest.mjs'),
  tsup: join(nodeModules, 'tsup', 'dist', 'cli-default.js'),
};
/** The child tools must not believe they run inside this test's vitest worker. */
const env = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(__)?VITEST|^NODE_ENV$|^FORCE_COLOR$/.test(key)),
  ),
  NO_COLOR: '1',
};
const rootManifest = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8'));

function run(cwd: string, command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 150_000 });
  return {
    status: result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
  };
}

function runNode(cwd: string, script: string, args: string[] = []) {
  return run(cwd, process.execPath, [script, ...args]);
}

/** A folder whose node_modules links every entry of the repository's node_modules. */
function fakeInstall(dir: string): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  for (const entry of readdirSync(nodeModules)) {
    if (entry === '.bin' || entry === '.cache' || entry === '.vite' || entry.endsWith('.json')) continue;
    symlinkSync(join(nodeModules, entry), join(dir, 'node_modules', entry), 'junction');
  }
}

/** Loads the built package in plain Node, as ESM and as CJS, and checks its default export. */
function loadBuilt(packageDir: string, name: string) {
  const check = `const ok = core.isOperator(m.default) && m.default.name === '${name}'; console.log(ok ? 'LOADED' : 'NOT AN OPERATOR');`;
  const esm = run(packageDir, process.execPath, [
    '--input-type=module',
    '-e',
    `const core = await import('@metacompress/core'); const m = await import('./dist/index.js'); ${check}`,
  ]);
  const cjs = run(packageDir, process.execPath, [
    '-e',
    `const core = require('@metacompress/core'); const m = require('./dist/index.cjs'); ${check}`,
  ]);
  return { esm, cjs };
}

let base: string;

beforeAll(() => {
  for (const pkg of ['core', 'ir']) {
    if (!existsSync(join(workspaceRoot, 'packages', pkg, 'dist', 'index.js'))) {
      throw new Error(
        `@metacompress/${pkg} is not built: run \`npx nx test tools-generators\` (it builds first) or \`npm run build\``,
      );
    }
  }
  base = mkdtempSync(join(tmpdir(), 'mc-generator-'));
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('generateOperatorPackage', () => {
  it('turns kebab-case names into identifiers and rejects other names', async () => {
    expect(toIdentifier('weight-sharing')).toBe('weightSharing');
    expect(toIdentifier('lowrank')).toBe('lowrank');
    for (const name of ['Low Rank', 'LowRank', 'low_rank', '1bit', '-x', 'x-', '', 'a--b']) {
      await expect(generateOperatorPackage({ name, dir: join(base, 'never') }), name).rejects.toBeInstanceOf(
        GeneratorError,
      );
    }
    expect(existsSync(join(base, 'never'))).toBe(false);
  });

  it('refuses to write into a folder that is not empty, and leaves it as it was', async () => {
    const dir = join(base, 'taken', 'metacompress-operator-taken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"mine"}');
    await expect(generateOperatorPackage({ name: 'taken', dir: join(base, 'taken') })).rejects.toThrow(
      /already exists and is not empty/,
    );
    expect(readdirSync(dir)).toEqual(['package.json']);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe('{"name":"mine"}');
  });

  it('scaffolds a standalone plugin with the documented command; it type-checks, passes its test, builds and loads', () => {
    const dir = join(base, 'standalone');
    fakeInstall(dir);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const generate = run(workspaceRoot, npm, [
      'run',
      '--silent',
      'generate:operator',
      '--',
      'low-rank',
      '--dir',
      dir,
      '--description',
      'Zeroes small weights.',
    ]);
    expect(generate.output).toContain('created metacompress-operator-low-rank');
    expect(generate.status, generate.output).toBe(0);

    const pkgDir = join(dir, 'metacompress-operator-low-rank');
    expect(readdirSync(join(pkgDir, 'src')).sort()).toEqual(['index.ts', 'low-rank.test.ts', 'low-rank.ts']);
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'metacompress-operator-low-rank',
      version: '0.1.0',
      description: 'Zeroes small weights.',
      peerDependencies: {
        '@metacompress/core': expect.stringMatching(/^\^\d/),
        '@metacompress/ir': expect.stringMatching(/^\^\d/),
      },
      devDependencies: {
        vitest: rootManifest.devDependencies.vitest,
        typescript: rootManifest.devDependencies.typescript,
      },
    });
    expect(manifest.exports['.']['@metacompress/source']).toBeUndefined();
    const operatorSource = readFileSync(join(pkgDir, 'src', 'low-rank.ts'), 'utf8');
    expect(operatorSource).toContain('export const lowRank = defineOperator<Graph, typeof lowRankOptions>({');
    expect(operatorSource).toContain("name: 'low-rank'");
    expect(readFileSync(join(pkgDir, 'README.md'), 'utf8')).toMatch(
      /^# metacompress-operator-low-rank\n\n```sh\nnpx metacompress compress .* --operator metacompress-operator-low-rank/,
    );

    const tsc = runNode(pkgDir, tools.tsc, ['-p', 'tsconfig.json']);
    expect(tsc.status, tsc.output).toBe(0);
    const test = runNode(pkgDir, tools.vitest, [
      'run',
      '--reporter=default',
      '--reporter=json',
      '--outputFile.json=results.json',
    ]);
    expect(test.status, test.output).toBe(0);
    const results = JSON.parse(readFileSync(join(pkgDir, 'results.json'), 'utf8'));
    expect([results.numPassedTests, results.numFailedTests]).toEqual([4, 0]);
    const build = runNode(pkgDir, tools.tsup);
    expect(build.status, build.output).toBe(0);
    expect(readdirSync(join(pkgDir, 'dist')).sort()).toEqual(
      expect.arrayContaining(['index.cjs', 'index.d.cts', 'index.d.ts', 'index.js']),
    );
    const { esm, cjs } = loadBuilt(pkgDir, 'low-rank');
    expect(esm.output.trim(), esm.output).toBe('LOADED');
    expect(cjs.output.trim(), cjs.output).toBe('LOADED');
  });

  it('scaffolds a monorepo package configured like its siblings; it type-checks and tests from sources, and builds', async () => {
    const root = join(base, 'monorepo');
    fakeInstall(root);
    for (const file of ['package.json', 'tsconfig.base.json', 'vitest.shared.ts'])
      copyFileSync(join(workspaceRoot, file), join(root, file));
    const out = await generateOperatorPackage({ name: 'lowrank', dir: join(root, 'packages') });
    expect(out.flavor).toBe('workspace');
    expect(out.packageDir).toBe(join(root, 'packages', 'metacompress-operator-lowrank'));

    const manifest = JSON.parse(readFileSync(join(out.packageDir, 'package.json'), 'utf8'));
    expect(manifest.exports['.']['@metacompress/source']).toBe('./src/index.ts');
    expect(manifest.scripts.publint).toBe('publint --strict');
    expect(JSON.parse(readFileSync(join(out.packageDir, 'tsconfig.json'), 'utf8')).extends).toBe(
      '../../tsconfig.base.json',
    );

    const tsc = runNode(out.packageDir, tools.tsc, ['-p', 'tsconfig.json']);
    expect(tsc.status, tsc.output).toBe(0);
    const test = runNode(out.packageDir, tools.vitest, ['run']);
    expect(test.status, test.output).toBe(0);
    // The shared config wrote the results where .ci/run adds them up.
    const results = JSON.parse(
      readFileSync(join(root, '.vitest-results', 'metacompress-operator-lowrank.json'), 'utf8'),
    );
    expect([results.numPassedTests, results.numFailedTests]).toEqual([4, 0]);
    const build = runNode(out.packageDir, tools.tsup);
    expect(build.status, build.output).toBe(0);
    const { esm, cjs } = loadBuilt(out.packageDir, 'lowrank');
    expect(esm.output.trim(), esm.output).toBe('LOADED');
    expect(cjs.output.trim(), cjs.output).toBe('LOADED');
  });
});
