import { backends } from '@metacompress/core';
import { registerOrtBackends, type OrtBackend } from '@metacompress/backend-ort';
import { UsageError, type CommandOption, type ParsedArgs } from './command';

/** Options that pick the inference runtime. */
export const runtimeOptions: Record<string, CommandOption> = {
  runtime: { type: 'string', valueName: 'ort-web|ort-node', description: 'runtime for accuracy and latency (default ort-web, the browser reference)' },
  threads: { type: 'string', valueName: 'n', description: 'onnxruntime threads (default 1)' },
};

/**
 * The inference backend named by `--runtime` (onnxruntime-web by default: it is what browsers run).
 *
 * @example
 * const ort = await runtimeFor(args);
 */
export async function runtimeFor(args: ParsedArgs): Promise<OrtBackend> {
  const name = (args.values.runtime as string | undefined) ?? 'ort-web';
  if (name !== 'ort-web' && name !== 'ort-node') throw new UsageError(`--runtime must be ort-web or ort-node, got '${name}'`);
  const threads = args.values.threads === undefined ? 1 : Number(args.values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads must be an integer from 1 to 64, got '${args.values.threads}'`);
  registerOrtBackends(backends, { numThreads: threads });
  return backends.resolve<OrtBackend>('inference', [name]);
}
