import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Dim, Graph } from '@metacompress/ir';
import { fitToInput, resolveDataset, type TensorDataset } from '@metacompress/tasks';
import { UsageError, type CommandOption, type ParsedArgs } from './command';

/** Options shared by every command that reads a dataset. */
export const dataOptions: Record<string, CommandOption> = {
  data: { type: 'string', valueName: 'mnist|fashion-mnist|path', description: 'dataset: a built-in name, an idx/npy file, or a folder' },
  scale: { type: 'string', valueName: 'x', description: 'multiply raw pixels by this (default 1/255 for 8-bit data)' },
  mean: { type: 'string', valueName: 'm[,m…]', description: 'subtract this mean (per channel) after scaling' },
  std: { type: 'string', valueName: 's[,s…]', description: 'divide by this std (per channel) after the mean' },
  layout: { type: 'string', valueName: 'nchw|nhwc|flat', description: 'sample layout (default: fitted to the model input)' },
};

function numberList(value: unknown, flag: string): number | number[] | undefined {
  if (value === undefined) return undefined;
  const parts = String(value).split(',').map((s) => Number(s.trim()));
  if (parts.some((n) => !Number.isFinite(n))) throw new UsageError(`--${flag} expects numbers, got '${value}'`);
  return parts.length === 1 ? parts[0] : parts;
}

/** The model's (first non-initializer) input name and shape. */
export function modelInput(graph: Graph): { name: string; shape: readonly Dim[] } {
  const initializers = new Set(graph.initializers.map((t) => t.name));
  const input = graph.inputs.find((i) => !initializers.has(i.name));
  const shape = input?.type?.kind === 'tensor' ? input.type.shape : undefined;
  if (!input || !shape) throw new UsageError('the model has no input with a known shape');
  return { name: input.name, shape };
}

/** Number of classes from the model's first output, when its last dim is known. */
export function modelClasses(graph: Graph): number | undefined {
  const out = graph.outputs[0]?.type;
  const last = out?.kind === 'tensor' ? out.shape?.[out.shape.length - 1] : undefined;
  return typeof last === 'number' ? last : undefined;
}

/**
 * Loads the dataset named by `--data` and fits it to the model's input.
 *
 * @example
 * const test = await loadDataFor(graph, args, 'test', io.cwd);
 */
export async function loadDataFor(graph: Graph, args: ParsedArgs, split: 'train' | 'test', cwd: string): Promise<TensorDataset> {
  const spec = args.values.data;
  if (typeof spec !== 'string' || !spec) throw new UsageError('--data is required (mnist, fashion-mnist, or a path)');
  const input = modelInput(graph);
  const scale = numberList(args.values.scale, 'scale');
  if (Array.isArray(scale)) throw new UsageError('--scale takes one number');
  const layout = args.values.layout as string | undefined;
  if (layout !== undefined && !['nchw', 'nhwc', 'flat'].includes(layout)) throw new UsageError(`--layout must be nchw, nhwc or flat, got '${layout}'`);
  const dataset = await resolveDataset(spec, {
    split,
    cwd,
    ...(scale !== undefined ? { scale } : {}),
    ...(args.values.mean !== undefined ? { mean: numberList(args.values.mean, 'mean') } : {}),
    ...(args.values.std !== undefined ? { std: numberList(args.values.std, 'std') } : {}),
    ...(modelClasses(graph) ? { numClasses: modelClasses(graph) } : {}),
  });
  if (!layout) return fitToInput(dataset, input.shape, { inputName: input.name });
  const laid = dataset.withLayout(layout as 'nchw' | 'nhwc' | 'flat');
  const want = input.shape.slice(1);
  const fits = want.length === laid.sampleShape.length && want.every((d, i) => typeof d !== 'number' || d < 0 || d === laid.sampleShape[i]);
  if (!fits) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `--layout ${layout} gives samples of shape [${laid.sampleShape.join(', ')}] but the model input '${input.name}' is [${input.shape.map((d) => d ?? '?').join(', ')}]`,
      { field: 'layout', dataset: laid.name },
    );
  }
  return laid;
}

/** A dataset's first `limit` samples (for quick evaluations). */
export function limitOf(args: ParsedArgs, fallback?: number): number | undefined {
  const raw = args.values.limit;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--limit must be a positive integer, got '${raw}'`);
  return n;
}
