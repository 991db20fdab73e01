import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, isOperator, MetacompressError, type Operator } from '@metacompress/core';

function looksLikePath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /\.(c|m)?js$/.test(spec);
}

async function resolveEntry(spec: string, cwd: string): Promise<string> {
  const require = createRequire(join(cwd, 'noop.js'));
  if (looksLikePath(spec)) {
    const full = resolve(cwd, spec);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, 'no such operator module', { file: spec });
    return info.isDirectory() ? require.resolve(full) : full;
  }
  try {
    return require.resolve(spec);
  } catch (error) {
    throw new MetacompressError(
      ErrorCodes.PLUGIN_INVALID,
      `cannot find operator package '${spec}' from ${cwd} (${(error as Error).message.split('\n')[0]})`,
      { file: spec },
    );
  }
}

/**
 * Loads an operator plugin: a package name (resolved from `cwd`'s node_modules) or a path to a
 * JavaScript module or package folder. The module's default export must be an operator made with
 * `defineOperator`; otherwise `MC_PLUGIN_INVALID` names the module.
 *
 * @example
 * const lowrank = await loadOperator('metacompress-operator-lowrank', process.cwd());
 */
export async function loadOperator(spec: string, cwd: string): Promise<Operator> {
  const entry = await resolveEntry(spec, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (error) {
    throw new MetacompressError(ErrorCodes.PLUGIN_INVALID, `cannot import operator module: ${(error as Error).message.split('\n')[0]}`, { file: spec }, { cause: error });
  }
  const candidate = isOperator(mod.default) ? mod.default : isOperator((mod.default as Record<string, unknown> | undefined)?.default) ? (mod.default as Record<string, unknown>).default : undefined;
  if (!isOperator(candidate)) {
    throw new MetacompressError(ErrorCodes.PLUGIN_INVALID, 'the module has no default export made with defineOperator', { file: spec });
  }
  return candidate;
}
