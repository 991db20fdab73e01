import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listWorkspacePackages, workspaceRoot, type WorkspacePackage } from '../workspace-packages.mjs';

/**
 * The conventions every package of the workspace follows (issue 2, STYLE.md): its own version and
 * README, an exports map with ESM + CJS + types built by tsup, `sideEffects`, `files`, the shared
 * vitest config, and only declared imports (what works here through the workspace must also work
 * once published).
 */

const packages = listWorkspacePackages().filter((p) => !p.private && /^(packages|apps)\//.test(p.path));
const read = (pkg: WorkspacePackage, file: string) => readFileSync(join(pkg.dir, file), 'utf8');

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(entry) ? [path] : [];
  });
}

/** Bare module specifiers a file imports, re-exports or requires (`@scope/name`, `name`). */
function importedPackages(code: string): string[] {
  const specs = new Set<string>();
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\s+['"]([^'"]+)['"]/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  const withoutComments = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const pattern of patterns) {
    for (const match of withoutComments.matchAll(pattern)) {
      const spec = match[1];
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.startsWith('#'))
        continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!builtinModules.includes(name)) specs.add(name);
    }
  }
  return [...specs];
}

/** Does the caret/tilde/exact range accept this version? (enough for `^0.1.0`-style ranges) */
function accepts(range: string, version: string): boolean {
  const m = /^([~^]?)(\d+)\.(\d+)\.(\d+)$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m || !v) return false;
  const [want, have] = [m.slice(2).map(Number), v.slice(1).map(Number)];
  const cmp = have[0] - want[0] || have[1] - want[1] || have[2] - want[2];
  if (cmp < 0) return false;
  if (m[1] === '') return cmp === 0;
  if (m[1] === '~' || want[0] === 0) return have[0] === want[0] && have[1] === want[1];
  return have[0] === want[0];
}

describe('workspace', () => {
  it('has the ten packages of the design', () => {
    expect(packages.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'apps/cli',
        ...['backend-ort', 'backend-tfjs', 'core', 'distill', 'ir', 'meta', 'prune', 'quantize', 'tasks'].map(
          (n) => `packages/${n}`,
        ),
      ]),
    );
  });

  it('versions every package on its own with changesets (no fixed or linked groups)', () => {
    const config = JSON.parse(readFileSync(join(workspaceRoot, '.changeset', 'config.json'), 'utf8'));
    expect(config.fixed).toEqual([]);
    expect(config.linked).toEqual([]);
    expect(config.baseBranch).toBeTypeOf('string');
  });

  it('keeps core free of other packages and lets nothing depend on the CLI', () => {
    const core = packages.find((p) => p.name === '@metacompress/core');
    expect(
      Object.keys(core?.manifest.dependencies ?? {}).filter((d) => d.startsWith('@metacompress/')),
    ).toEqual([]);
    for (const pkg of packages) {
      const deps = {
        ...pkg.manifest.dependencies,
        ...pkg.manifest.peerDependencies,
        ...pkg.manifest.devDependencies,
      };
      expect(Object.keys(deps), pkg.name).not.toContain('@metacompress/cli');
    }
  });
});

describe.each(packages.map((p) => [p.path, p] as const))('%s', (_path, pkg) => {
  const m = pkg.manifest;

  it('has a name, its own semver version, a license and ESM type', () => {
    expect(m.name).toMatch(/^(@metacompress\/[a-z0-9-]+|metacompress-operator-[a-z0-9-]+)$/);
    expect(m.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(m.license).toBeTypeOf('string');
    expect(m.type).toBe('module');
    expect(m.engines?.node).toBeTypeOf('string');
  });

  it('exports ESM, CJS and types for every entry point (types first), built into dist', () => {
    const entries = Object.entries(m.exports ?? {}).filter(([key]) => key !== './package.json');
    expect(entries.length).toBeGreaterThan(0);
    expect(m.exports['./package.json']).toBe('./package.json');
    for (const [key, target] of entries as [string, Record<string, any>][]) {
      for (const condition of ['import', 'require'] as const) {
        const branch = target[condition];
        expect(Object.keys(branch ?? {}), `${key} ${condition}`).toEqual(['types', 'default']);
        expect(branch.default, `${key} ${condition}`).toMatch(
          condition === 'import' ? /^\.\/dist\/.+\.js$/ : /^\.\/dist\/.+\.cjs$/,
        );
        expect(branch.types, `${key} ${condition}`).toMatch(
          condition === 'import' ? /^\.\/dist\/.+\.d\.ts$/ : /^\.\/dist\/.+\.d\.cts$/,
        );
      }
      if (target['@metacompress/source'] !== undefined) {
        expect(Object.keys(target)[0], key).toBe('@metacompress/source');
        expect(existsSync(join(pkg.dir, target['@metacompress/source'])), `${key} source`).toBe(true);
      }
    }
  });

  it('declares sideEffects and the files it publishes', () => {
    expect(m.sideEffects === false || Array.isArray(m.sideEffects)).toBe(true);
    expect(m.files).toEqual(expect.arrayContaining(['dist', 'README.md']));
    for (const file of Object.values<string>(typeof m.bin === 'string' ? { bin: m.bin } : (m.bin ?? {}))) {
      expect(existsSync(join(pkg.dir, file)), `bin ${file}`).toBe(true);
      expect(
        m.files.some((f: string) => file.replace(/^\.\//, '').startsWith(`${f}/`)),
        `bin ${file} is in files`,
      ).toBe(true);
    }
  });

  it('has the build, typecheck, test and publint scripts and the shared configs', () => {
    expect(Object.keys(m.scripts ?? {})).toEqual(
      expect.arrayContaining(['build', 'typecheck', 'test', 'publint']),
    );
    expect(existsSync(join(pkg.dir, 'src', 'index.ts'))).toBe(true);
    expect(existsSync(join(pkg.dir, 'tsup.config.ts'))).toBe(true);
    expect(read(pkg, 'vitest.config.ts')).toContain('packageTestConfig(import.meta.dirname');
    expect(JSON.parse(read(pkg, 'tsconfig.json')).extends).toBe('../../tsconfig.base.json');
  });

  it('has a README that opens with a usage example', () => {
    expect(existsSync(join(pkg.dir, 'README.md'))).toBe(true);
    const lines = read(pkg, 'README.md').split('\n');
    expect(lines[0]).toMatch(/^# /);
    const fence = lines.findIndex((l) => /^```/.test(l));
    expect(fence, 'a code block within the first 15 lines').toBeGreaterThan(0);
    expect(fence).toBeLessThan(15);
  });

  it('depends on sibling packages with ranges that accept their current versions', () => {
    const siblings = new Map(listWorkspacePackages().map((p) => [p.name, p.version]));
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']) {
      for (const [dep, range] of Object.entries<string>(m[field] ?? {})) {
        const version = siblings.get(dep);
        if (version !== undefined)
          expect(accepts(range, version), `${field}.${dep} ${range} vs ${version}`).toBe(true);
      }
    }
  });

  it('imports, in published code, only packages it declares', () => {
    const declared = new Set([
      m.name,
      ...Object.keys({ ...m.dependencies, ...m.peerDependencies, ...m.optionalDependencies }),
    ]);
    const undeclared: string[] = [];
    for (const file of sourceFiles(join(pkg.dir, 'src'))) {
      if (/(\.test\.|[\\/]test-[^\\/]*$)/.test(file)) continue;
      for (const name of importedPackages(readFileSync(file, 'utf8'))) {
        if (!declared.has(name)) undeclared.push(`${file.slice(pkg.dir.length + 1)} imports ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});
