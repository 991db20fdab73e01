import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { operatorPackageFiles, type OperatorTemplateInput } from './operator-templates';

/** The repository root (this file is tools/generators/src/operator.ts). */
export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Operator names the generator accepts: kebab-case starting with a letter (`lowrank`, `weight-sharing`). */
export const OPERATOR_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Options of {@link generateOperatorPackage}. */
export interface GenerateOperatorOptions {
  /** Operator name, kebab-case; the package is `metacompress-operator-<name>`. */
  name: string;
  /** The folder the package folder is created in (default: this repository's `packages/`). */
  dir?: string;
  /** One line that says what the operator does. */
  description?: string;
  /** Where versions of `@metacompress/*` and of the tools are read from (default: this repository). */
  workspaceRoot?: string;
}

/** What {@link generateOperatorPackage} wrote. */
export interface GeneratedOperatorPackage {
  packageName: string;
  packageDir: string;
  identifier: string;
  flavor: OperatorTemplateInput['flavor'];
  /** Paths inside `packageDir`, in the order written. */
  files: string[];
}

/** A generator failure with a message meant for the person who ran it. */
export class GeneratorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeneratorError';
  }
}

/**
 * `weight-sharing` → `weightSharing`.
 *
 * @example
 * toIdentifier('low-rank'); // 'lowRank'
 */
export function toIdentifier(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function readJson(path: string): Record<string, any> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** `^x.y.z` for a workspace package's current version. */
function caret(root: string, folder: string): string {
  return `^${readJson(join(root, 'packages', folder, 'package.json')).version}`;
}

/**
 * The monorepo flavor applies when the package folder sits directly in a folder of a workspace
 * root that has the shared configs (`<root>/packages/<package>`), because its configs point at
 * `../../tsconfig.base.json` and `../../vitest.shared.ts`.
 */
function flavorFor(parentDir: string): OperatorTemplateInput['flavor'] {
  const root = dirname(parentDir);
  return existsSync(join(root, 'tsconfig.base.json')) && existsSync(join(root, 'vitest.shared.ts'))
    ? 'workspace'
    : 'standalone';
}

/**
 * Scaffolds an operator plugin package: `metacompress-operator-<name>` with an operator written with
 * `defineOperator`, a vitest test that passes as generated, a README and a tsup build, formatted
 * with the repository's Prettier settings. Refuses to write into a folder that exists and is not empty.
 *
 * @example
 * const out = await generateOperatorPackage({ name: 'lowrank', dir: '/tmp/plugins', description: 'Low-rank factorization of Gemm and Conv weights.' });
 * out.packageDir; // '/tmp/plugins/metacompress-operator-lowrank'
 */
export async function generateOperatorPackage(
  options: GenerateOperatorOptions,
): Promise<GeneratedOperatorPackage> {
  const { name } = options;
  if (typeof name !== 'string' || !OPERATOR_NAME.test(name)) {
    throw new GeneratorError(
      `operator name '${String(name)}' is not valid: use kebab-case starting with a letter (e.g. lowrank, weight-sharing)`,
    );
  }
  const root = options.workspaceRoot ?? workspaceRoot;
  const parentDir = resolve(options.dir ?? join(root, 'packages'));
  const packageName = `metacompress-operator-${name}`;
  const packageDir = join(parentDir, packageName);
  if (existsSync(packageDir) && readdirSync(packageDir).length > 0) {
    throw new GeneratorError(`${packageDir} already exists and is not empty; choose another name or --dir`);
  }
  const rootManifest = readJson(join(root, 'package.json'));
  const tool = (dep: string) => {
    const range = rootManifest.devDependencies?.[dep];
    if (typeof range !== 'string')
      throw new GeneratorError(`the root package.json has no devDependency '${dep}'`);
    return range;
  };
  const identifier = toIdentifier(name);
  const flavor = flavorFor(parentDir);
  const files = operatorPackageFiles({
    name,
    identifier,
    packageName,
    description: options.description?.trim() || `The ${name} operator for Metacompress.`,
    flavor,
    versions: {
      '@metacompress/core': caret(root, 'core'),
      '@metacompress/ir': caret(root, 'ir'),
      '@types/node': tool('@types/node'),
      tsup: tool('tsup'),
      typescript: tool('typescript'),
      vitest: tool('vitest'),
    },
  });
  const style = (await prettier.resolveConfig(join(root, 'package.json'))) ?? {};
  const formatted: [string, string][] = [];
  for (const [path, text] of Object.entries(files)) {
    const target = join(packageDir, path);
    const parser = (await prettier.getFileInfo(target)).inferredParser;
    formatted.push([target, parser ? await prettier.format(text, { ...style, filepath: target }) : text]);
  }
  for (const [target, text] of formatted) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text, { flag: 'wx' });
  }
  return { packageName, packageDir, identifier, flavor, files: Object.keys(files) };
}
