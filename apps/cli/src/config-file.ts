import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, ErrorCodes, MetacompressError } from '@metacompress/core';

/** The name the CLI looks for in the current folder when `--config` is not given. */
export const CONFIG_FILE = 'metacompress.config.json';

/**
 * Settings of `metacompress.config.json`; command-line flags win over them.
 *
 * @example
 * { "target": "macs=0.5", "policy": "l1", "quantize": "int8", "finetuneEpochs": 1, "data": "mnist",
 *   "operators": ["metacompress-operator-lowrank"], "options": { "channel-prune": { "roundTo": 8 } } }
 */
export interface CliConfig {
  target?: string;
  policy?: string;
  quantize?: string;
  finetuneEpochs?: number;
  finetuneSteps?: number;
  data?: string;
  seed?: number;
  operators?: string[];
  /** Options per operator, by operator name (validated by the operator itself). */
  options?: Record<string, Record<string, unknown>>;
  /** Where the config was read from (set by the loader). */
  file?: string;
}

const FIELDS: Record<string, 'string' | 'number' | 'string[]' | 'object'> = {
  target: 'string',
  policy: 'string',
  quantize: 'string',
  finetuneEpochs: 'number',
  finetuneSteps: 'number',
  data: 'string',
  seed: 'number',
  operators: 'string[]',
  options: 'object',
};

/**
 * Reads the config file: the explicit `--config` path (which must exist), else
 * `metacompress.config.json` in `cwd` when present, else an empty config. Bad fields are typed
 * errors naming the file and field.
 *
 * @example
 * const config = await loadConfig(undefined, process.cwd());
 */
export async function loadConfig(explicit: string | undefined, cwd: string): Promise<CliConfig> {
  const path = resolve(cwd, explicit ?? CONFIG_FILE);
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    if (explicit) throw new MetacompressError(ErrorCodes.FILE_NOT_FOUND, 'no such config file', { file: explicit });
    return {};
  }
  if (!info.isFile()) throw new MetacompressError(ErrorCodes.NOT_A_FILE, 'the config path is not a file', { file: path });
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `not valid JSON: ${(error as Error).message}`, { file: path, field: '(root)' });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected an object, got ${describe(raw)}`, { file: path, field: '(root)' });
  }
  const config = raw as Record<string, unknown>;
  for (const [key, value] of Object.entries(config)) {
    if (key === '$schema') continue;
    const kind = FIELDS[key];
    if (!kind) throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `unknown setting '${key}'; known: ${Object.keys(FIELDS).join(', ')}`, { file: path, field: key });
    const ok =
      kind === 'string' ? typeof value === 'string'
      : kind === 'number' ? typeof value === 'number' && Number.isFinite(value)
      : kind === 'string[]' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
      : typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    if (!ok) throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected ${kind === 'object' ? 'an object of option objects' : kind}, got ${describe(value)}`, { file: path, field: key });
  }
  return { ...(config as CliConfig), file: path };
}
