import { startTask } from '@metacompress/core';
import { defineCommand, UsageError } from '../command';
import { runtimeFor, runtimeOptions } from '../backend-options';
import { dataOptions, limitOf, loadDataFor } from '../data-options';
import { loadModel } from '../model-file';
import { createProgressRenderer } from '../render/progress';
import { renderTable } from '../render/table';

/** `metacompress eval <model> --data …`: accuracy and latency in onnxruntime. */
export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'Measure accuracy on a dataset and latency in onnxruntime-web',
  usage: 'eval <model> --data <mnist|fashion-mnist|path> [options]',
  options: {
    ...dataOptions,
    split: { type: 'string', valueName: 'train|test', description: 'dataset split (default test)' },
    limit: { type: 'string', valueName: 'n', description: 'evaluate only the first n samples' },
    'batch-size': { type: 'string', valueName: 'n', description: 'evaluation batch size (default 64)' },
    'latency-runs': { type: 'string', valueName: 'n', description: 'timed runs per latency figure (default 20; 0 skips latency)' },
    ...runtimeOptions,
  },
  async run(args, io, { json, verbose }) {
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one model path');
    const split = (args.values.split as string | undefined) ?? 'test';
    if (split !== 'train' && split !== 'test') throw new UsageError(`--split must be train or test, got '${split}'`);
    const batchSize = Number(args.values['batch-size'] ?? 64);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError('--batch-size must be a positive integer');
    const runs = Number(args.values['latency-runs'] ?? 20);
    if (!Number.isInteger(runs) || runs < 0) throw new UsageError('--latency-runs must be a non-negative integer');
    const { graph, path } = await loadModel(args.positionals[0], io.cwd);
    const data = await loadDataFor(graph, args, split, io.cwd);
    const limit = limitOf(args);
    const runtime = await runtimeFor(args);
    const progress = createProgressRenderer(io, { verbose, quiet: json });
    const total = Math.min(limit ?? data.length, data.length);
    const task = startTask(progress, 'evaluate', total, 'samples', `evaluating on ${data.name}`);
    const result = await runtime.evaluate(graph, data, { batchSize, ...(limit ? { limit } : {}), onProgress: (done) => task.update(done) });
    task.end({ accuracy: result.accuracy });
    const latency: Record<string, { medianMs: number; p10Ms: number; p90Ms: number }> = {};
    if (runs > 0) {
      for (const b of [1, 64]) {
        const stats = await runtime.latency(graph, { batchSize: b, runs, warmup: 3 });
        latency[`batch${b}`] = { medianMs: stats.medianMs, p10Ms: stats.p10Ms, p90Ms: stats.p90Ms };
      }
    }
    progress.finish();
    const report = { model: path, dataset: data.name, samples: result.samples, accuracy: result.accuracy, loss: result.loss, runtime: runtime.name, threads: runtime.numThreads, latencyMs: latency };
    if (json) {
      io.out(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    io.out(
      renderTable([
        ['metric', 'value'],
        ['samples', String(result.samples)],
        ['top-1 accuracy', `${(result.accuracy * 100).toFixed(2)} %`],
        ...(result.loss !== undefined ? [['mean cross-entropy', result.loss.toFixed(4)]] : []),
        ...Object.entries(latency).map(([k, v]) => [`latency ${k} (${runtime.name}, ${runtime.numThreads} thr)`, `${v.medianMs.toFixed(2)} ms (p10 ${v.p10Ms.toFixed(2)}, p90 ${v.p90Ms.toFixed(2)})`]),
      ]),
    );
    return 0;
  },
});
