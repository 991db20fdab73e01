// @ts-check
/**
 * Lists the packages of this npm workspace (the folders named by the root package.json's
 * `workspaces` globs that hold a package.json), for the scripts and tests under tools/scripts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const workspaceRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * @typedef {object} WorkspacePackage
 * @property {string} dir absolute folder
 * @property {string} path folder relative to the root, e.g. `packages/core`
 * @property {string} name
 * @property {string} version
 * @property {boolean} private
 * @property {Record<string, any>} manifest the parsed package.json
 */

/**
 * Every workspace package, sorted by path. Only `<folder>/*` globs are supported (all this repo uses).
 *
 * @example
 * for (const pkg of listWorkspacePackages()) console.log(pkg.name, pkg.version);
 * @param {string} [root]
 * @returns {WorkspacePackage[]}
 */
export function listWorkspacePackages(root = workspaceRoot) {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  /** @type {string[]} */
  const globs = rootManifest.workspaces ?? [];
  /** @type {WorkspacePackage[]} */
  const found = [];
  for (const glob of globs) {
    if (!glob.endsWith('/*') || glob.slice(0, -2).includes('*'))
      throw new Error(`unsupported workspace glob '${glob}'`);
    const parent = join(root, glob.slice(0, -2));
    if (!existsSync(parent)) continue;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      const file = join(parent, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      found.push({
        dir: join(parent, entry.name),
        path: relative(root, join(parent, entry.name)).split('\\').join('/'),
        name: manifest.name,
        version: manifest.version,
        private: manifest.private === true,
        manifest,
      });
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * The packages that get published (not `private`).
 *
 * @example
 * listPublishablePackages().map((p) => p.name); // ['@metacompress/cli', '@metacompress/backend-ort', ...]
 * @param {string} [root]
 */
export function listPublishablePackages(root = workspaceRoot) {
  return listWorkspacePackages(root).filter((p) => !p.private);
}
