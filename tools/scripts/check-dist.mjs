#!/usr/bin/env node
// @ts-check
/**
 * Checks what `npm publish` would ship, beyond publint's static checks: every export of every
 * publishable package, built, loads in plain Node both as ESM (`import`) and as CJS (`require`)
 * with the same export names, and every `bin` answers `--help` with exit code 0.
 * Run after `npm run build`: `node tools/scripts/check-dist.mjs`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { listPublishablePackages, workspaceRoot } from './workspace-packages.mjs';

/**
 * The export subpaths of a package as import specifiers (`@scope/pkg`, `@scope/pkg/base`).
 * @param {string} name
 * @param {unknown} exportsField
 */
function specifiers(name, exportsField) {
  if (typeof exportsField !== 'object' || exportsField === null) return [name];
  const keys = Object.keys(exportsField);
  if (!keys.every((k) => k.startsWith('.'))) return [name];
  return keys
    .filter((k) => k !== './package.json' && !k.includes('*'))
    .map((k) => (k === '.' ? name : `${name}/${k.slice(2)}`));
}

/**
 * Loads every specifier in one child Node process and returns { spec: exportNames | { error } }.
 * @param {'esm' | 'cjs'} format
 * @param {string[]} specs
 * @returns {Record<string, string[] | { error: string }>}
 */
function loadAll(format, specs) {
  const load = format === 'esm' ? 'await import(spec)' : 'require(spec)';
  const body = `
    const out = {};
    for (const spec of ${JSON.stringify(specs)}) {
      try { const m = ${load}; out[spec] = Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule' && k !== 'module.exports').sort(); }
      catch (e) { out[spec] = { error: String(e && e.stack || e).split('\\n').slice(0, 4).join('\\n') }; }
    }
    process.stdout.write('\\n@@RESULT@@' + JSON.stringify(out));`;
  const wrapped = format === 'esm' ? body : `(async () => {${body}})()`;
  const child = spawnSync(
    process.execPath,
    [...(format === 'esm' ? ['--input-type=module'] : []), '-e', wrapped],
    {
      cwd: workspaceRoot,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    },
  );
  const marker = child.stdout?.lastIndexOf('@@RESULT@@') ?? -1;
  if (marker < 0) throw new Error(`${format} loader crashed (exit ${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.slice(marker + '@@RESULT@@'.length));
}

const packages = listPublishablePackages();
const specs = packages.flatMap((p) => specifiers(p.name, p.manifest.exports));
const esm = loadAll('esm', specs);
const cjs = loadAll('cjs', specs);
/** @type {string[]} */
const problems = [];
for (const spec of specs) {
  const a = esm[spec];
  const b = cjs[spec];
  if (!Array.isArray(a)) problems.push(`${spec}: import failed: ${a.error}`);
  if (!Array.isArray(b)) problems.push(`${spec}: require failed: ${b.error}`);
  if (Array.isArray(a) && Array.isArray(b)) {
    const onlyEsm = a.filter((k) => !b.includes(k));
    const onlyCjs = b.filter((k) => !a.includes(k));
    if (onlyEsm.length || onlyCjs.length) {
      problems.push(
        `${spec}: ESM and CJS exports differ (only ESM: ${onlyEsm.join(', ') || '-'}; only CJS: ${onlyCjs.join(', ') || '-'})`,
      );
    } else {
      console.log(`ok   ${spec}: ${a.length} exports, ESM and CJS`);
    }
  }
}
for (const pkg of packages) {
  const bins =
    typeof pkg.manifest.bin === 'string' ? { [pkg.name]: pkg.manifest.bin } : (pkg.manifest.bin ?? {});
  for (const [command, file] of Object.entries(bins)) {
    const run = spawnSync(process.execPath, [join(pkg.dir, file), '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (run.status !== 0 || !run.stdout.trim()) {
      problems.push(
        `${pkg.name}: \`${command} --help\` exited ${run.status} with ${run.stdout.trim() ? 'output' : 'no output'}\n${run.stderr}`,
      );
    } else {
      console.log(`ok   ${command} --help (${pkg.name})`);
    }
  }
}
if (problems.length) {
  console.error(
    `\ncheck-dist: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(`check-dist: ${specs.length} entry points of ${packages.length} packages load as ESM and CJS`);
