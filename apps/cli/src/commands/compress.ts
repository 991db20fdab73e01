import { readFile, stat } from 'node:fs/promises';
import { backends, compress, ErrorCodes, log, MetacompressError, parseBudget, startTask, type Budget, type PipelineStep, type ProgressReporter } from '@metacompress/core';
import { initTfjs, type TfjsRuntime } from '@metacompress/backend-tfjs';
import { distill } from '@metacompress/distill';
import { analyzeCoupling, encodeOnnx, saveOnnx, saveTfjs, type Graph } from '@metacompress/ir';
import { channelPrune } from '@metacompress/prune';
import { quantize } from '@metacompress/quantize';
import { splitDataset } from '@metacompress/tasks';
import { runtimeFor, runtimeOptions } from '../backend-options';
import { defineCommand, ExitCode, UsageError } from '../command';
import { choosePolicy, POLICY_NAMES } from '../compress/choose-policy';
import { measureModel } from '../compress/measure';
import { outputTarget } from '../compress/output-target';
import { compareWithExecutor } from '../compress/verify-outputs';
import { loadConfig, type CliConfig } from '../config-file';
import { dataOptions, limitOf, loadDataFor } from '../data-options';
import { loadModel } from '../model-file';
import { loadOperator } from '../plugins';
import { createProgressRenderer } from '../render/progress';
import { createReport, renderTextSummary, sha256Hex, writeReports, type ReportPolicyGroup } from '../report';

const QUANTIZE = { none: undefined, int8: { bits: 8 }, int4: { bits: 4, mode: 'weight-only' }, fp16: { bits: 16 } } as const;
type QuantizeChoice = keyof typeof QUANTIZE;

function pick<T>(flag: unknown, config: T | undefined, fallback: T): T {
  return (flag as T | undefined) ?? config ?? fallback;
}

function positiveNumber(value: unknown, flag: string, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new UsageError(`--${flag} must be a non-negative ${integer ? 'integer' : 'number'}, got '${value}'`);
  return n;
}

/** The pruning part of a budget: a bytes budget already met by quantization needs no pruning. */
function pruningBudget(budget: Budget, bits: number): Budget {
  if (budget.metric !== 'bytes' || bits >= 32) return budget;
  return { metric: 'bytes', ratio: Math.min(1, budget.ratio / (bits / 32)) };
}

/**
 * `metacompress compress`: policy → prune → plugins → distillation fine-tune → quantize → export
 * → verify in onnxruntime-web → reports. Nothing is written until the result has been verified.
 */
export const compressCommand = defineCommand({
  name: 'compress',
  summary: 'Compress a model to a budget: prune, fine-tune by distillation, quantize, verify',
  usage: 'compress <model> --target <params|macs|bytes>=<ratio> --data <mnist|fashion-mnist|path> -o <out> [options]',
  options: {
    target: { type: 'string', short: 't', valueName: 'metric=ratio', description: 'keep this share of params, macs or bytes (e.g. macs=0.25)' },
    policy: { type: 'string', short: 'p', valueName: 'l1|uniform|global|file', description: 'how much each group keeps (default l1: the L1-sensitivity heuristic)' },
    quantize: { type: 'string', short: 'q', valueName: 'int8|int4|fp16|none', description: 'weight precision after pruning (default none)' },
    'finetune-epochs': { type: 'string', valueName: 'E', description: 'epochs of distillation fine-tune (default 1 when pruning, 0 otherwise)' },
    'finetune-steps': { type: 'string', valueName: 'N', description: 'fine-tune budget in optimizer steps instead of epochs' },
    output: { type: 'string', short: 'o', valueName: 'path', description: 'output: a .onnx file, or a folder / model.json for TF.js' },
    report: { type: 'string', valueName: 'prefix', description: 'report path prefix (default beside the output: <name>.report.json/.html)' },
    operator: { type: 'string', multiple: true, valueName: 'package|path', description: 'load an operator plugin and run it after pruning (repeatable)' },
    config: { type: 'string', short: 'c', valueName: 'file', description: 'config file (default ./metacompress.config.json when present)' },
    'round-to': { type: 'string', valueName: 'n', description: 'kept channel counts are multiples of this (default 4)' },
    criterion: { type: 'string', valueName: 'name', description: 'channel importance: l1, l2, fpgm, bn-scale, taylor, random (default l1)' },
    checkpoint: { type: 'string', valueName: 'file', description: 'fine-tune checkpoint: written as it runs, resumed when present' },
    seed: { type: 'string', valueName: 'n', description: 'random seed (default 0)' },
    'eval-limit': { type: 'string', valueName: 'n', description: 'evaluate accuracy on at most n test samples (default: all)' },
    'latency-runs': { type: 'string', valueName: 'n', description: 'timed runs per latency figure (default 20; 0 skips latency)' },
    ...dataOptions,
    ...runtimeOptions,
  },
  details: `Examples:
  metacompress compress model.onnx --target macs=0.25 --data mnist -o small.onnx
  metacompress compress model.onnx --target macs=1 --quantize int8 --data mnist -o int8.onnx
  metacompress compress model.onnx --target params=0.5 --policy policy.json --data ./calib -o out/   (TF.js)

Accuracy and latency are measured in onnxruntime-web on the test split; the fine-tune and the
calibration use the training split (5,000 samples held out for validation). Operator options come
from the config file: { "options": { "channel-prune": { "roundTo": 8 }, "distill": { "temperature": 4 } } }.`,
  async run(args, io, { json, verbose }) {
    const started = performance.now();
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one model path');
    const config: CliConfig = await loadConfig(args.values.config as string | undefined, io.cwd);
    const targetText = pick(args.values.target, config.target, undefined as string | undefined);
    if (!targetText) throw new UsageError('--target is required (e.g. --target macs=0.25)');
    const budget = parseBudget(targetText);
    if (budget.metric === 'latency') throw new MetacompressError(ErrorCodes.BUDGET_INVALID, 'latency targets are not supported yet; use params, macs or bytes', { field: 'target' });
    const out = args.values.output as string | undefined;
    if (!out) throw new UsageError('-o/--output is required');
    const quantizeChoice = pick(args.values.quantize, config.quantize, 'none') as QuantizeChoice;
    if (!(quantizeChoice in QUANTIZE)) throw new UsageError(`--quantize must be int8, int4, fp16 or none, got '${quantizeChoice}'`);
    const policySpec = pick(args.values.policy, config.policy, 'l1');
    const roundTo = positiveNumber(args.values['round-to'], 'round-to', true) ?? 4;
    if (roundTo < 1) throw new UsageError('--round-to must be at least 1');
    const seed = positiveNumber(args.values.seed, 'seed', true) ?? config.seed ?? 0;
    const latencyRuns = positiveNumber(args.values['latency-runs'], 'latency-runs', true) ?? 20;
    const evalLimit = limitOf({ positionals: [], values: { limit: args.values['eval-limit'] } });
    const steps = positiveNumber(args.values['finetune-steps'], 'finetune-steps', true) ?? config.finetuneSteps;
    const epochsFlag = positiveNumber(args.values['finetune-epochs'], 'finetune-epochs') ?? config.finetuneEpochs;
    if (args.values.data === undefined && config.data) args.values.data = config.data;

    const { graph: input, path: inputPath, format: inputFormat } = await loadModel(args.positionals[0]!, io.cwd);
    const target = await outputTarget(out, inputPath, io.cwd, args.values.report as string | undefined);
    if (target.format === 'tfjs' && quantizeChoice !== 'none') {
      throw new UsageError('TF.js output stores float32 weights; use an .onnx output to quantize');
    }
    const pluginSpecs = [...(config.operators ?? []), ...((args.values.operator as string[] | undefined) ?? [])];
    const plugins = await Promise.all(pluginSpecs.map((spec) => loadOperator(spec, io.cwd)));
    const operatorOptions = config.options ?? {};
    for (const plugin of plugins) plugin.parseOptions(operatorOptions[plugin.name]);

    const progress: ProgressReporter & { finish(): void } = createProgressRenderer(io, { verbose, quiet: json });
    const runtime = await runtimeFor(args);
    const [trainAll, test] = await Promise.all([loadDataFor(input, args, 'train', io.cwd), loadDataFor(input, args, 'test', io.cwd)]);
    const { train, validation } = splitDataset(trainAll, { validation: Math.min(5000, Math.floor(trainAll.length / 10)), seed });
    const bits = quantizeChoice === 'none' ? 32 : QUANTIZE[quantizeChoice].bits;
    const pruneBudget = pruningBudget(budget, bits);
    const prunes = pruneBudget.ratio < 1 || !(POLICY_NAMES as readonly string[]).includes(policySpec);
    const epochs = steps !== undefined ? undefined : epochsFlag ?? (prunes || plugins.length ? 1 : 0);
    const finetunes = steps !== undefined ? steps > 0 : (epochs ?? 0) > 0;

    const inputBytes = inputFormat === 'onnx' ? new Uint8Array(await readFile(inputPath)) : encodeOnnx(input);
    const measureTask = (label: string) => {
      const task = startTask(progress, `measure-${label}`, Math.min(evalLimit ?? test.length, test.length), 'samples', `measuring the ${label} model`);
      return { onProgress: (done: number) => task.update(done), end: (accuracy: number) => task.end({ accuracy }) };
    };
    const beforeTask = measureTask('original');
    const before = await measureModel(input, inputBytes, runtime, test, { latencyRuns, ...(evalLimit ? { limit: evalLimit } : {}), onProgress: beforeTask.onProgress });
    beforeTask.end(before.accuracy);

    const policyTask = startTask(progress, 'policy', undefined, 'graphs', `choosing the policy (${policySpec})`);
    const policy = await choosePolicy(input, { spec: policySpec, budget: pruneBudget, roundTo, cwd: io.cwd, data: train, runtime, onProgress: (done) => policyTask.update(done) });
    policyTask.end();

    let tfjs: TfjsRuntime | undefined;
    if (finetunes || args.values.criterion === 'taylor') {
      tfjs = await initTfjs({ log: (message) => log(progress, 'info', message, 'backend-tfjs') });
    }
    const pipeline: PipelineStep<Graph>[] = [];
    if (policy.groups.length) pipeline.push(channelPrune.with({ roundTo, ...(args.values.criterion ? { criterion: args.values.criterion as string } : {}), ...operatorOptions['channel-prune'] }));
    for (const plugin of plugins) pipeline.push({ operator: plugin, options: operatorOptions[plugin.name] ?? {} });
    if (finetunes) {
      pipeline.push(distill.with({ ...(steps !== undefined ? { steps } : { epochs: epochs! }), evalLimit: 2000, ...(args.values.checkpoint ? { checkpoint: args.values.checkpoint as string } : {}), ...operatorOptions.distill }));
    }
    const q = QUANTIZE[quantizeChoice];
    if (q) pipeline.push(quantize.with({ ...q, ...operatorOptions.quantize } as Record<string, unknown>));

    const result = await compress(input, pipeline, { policy, seed, progress, backends, data: { train, validation, calibration: train, test } });
    const output = result.graph;

    const verifyTask = measureTask('compressed');
    const outputBytes = encodeOnnx(output);
    let after;
    try {
      after = await measureModel(output, outputBytes, runtime, test, { latencyRuns, ...(evalLimit ? { limit: evalLimit } : {}), onProgress: verifyTask.onProgress });
    } catch (error) {
      throw new MetacompressError(ErrorCodes.BACKEND_FAILED, `the compressed model does not run in ${runtime.name}: ${(error as Error).message}`, { backend: runtime.name }, { cause: error });
    }
    verifyTask.end(after.accuracy);
    const warnings: string[] = [];
    if (q === undefined) {
      tfjs ??= await initTfjs({ log: (message) => log(progress, 'debug', message, 'backend-tfjs') });
      const batch = test.batches(16, { limit: 16 })[Symbol.iterator]().next().value!;
      const agreement = await compareWithExecutor(output, outputBytes, runtime, tfjs, batch);
      if (agreement.maxAbsDiff > 1e-3 * Math.max(1, agreement.maxAbs)) {
        io.err(`metacompress compress: the written model's outputs differ from the IR executor's by ${agreement.maxAbsDiff.toExponential(2)}\n`);
        return ExitCode.VERIFICATION;
      }
    }
    for (const step of result.steps) {
      const fallbacks = step.report?.warnings;
      if (Array.isArray(fallbacks)) warnings.push(...fallbacks.map(String));
    }

    let outputFileBytes = outputBytes.byteLength;
    if (target.format === 'onnx') await saveOnnx(output, target.modelPath, { protect: [inputPath] });
    else {
      const saved = await saveTfjs(output, target.modelPath, { protect: [inputPath] });
      const sizes = await Promise.all([saved.modelPath, ...saved.shardPaths].map((p) => stat(p).then((s) => s.size)));
      outputFileBytes = sizes.reduce((a, b) => a + b, 0);
    }
    const groupsBefore = new Map(analyzeCoupling(input).map((g) => [g.id, g.channels]));
    const groupsAfter = new Map(analyzeCoupling(output).map((g) => [g.id, g.channels]));
    const policyGroups: ReportPolicyGroup[] = [...groupsBefore]
      .filter(([id]) => policy.groups.some((g) => g.group === id) || groupsAfter.get(id) !== groupsBefore.get(id))
      .map(([id, channels]) => {
        const kept = groupsAfter.get(id) ?? channels;
        const bitsOf = policy.groups.find((g) => g.group === id)?.weightBits ?? (q ? bits : undefined);
        return { id, channelsBefore: channels, channelsAfter: kept, keep: kept / channels, ...(bitsOf ? { weightBits: bitsOf } : {}) };
      });
    const report = createReport({
      input: { path: inputPath, format: inputFormat, sha256: sha256Hex(inputBytes) },
      output: { path: target.modelPath, format: target.format, bytes: outputFileBytes, ...(target.format === 'onnx' ? { sha256: sha256Hex(outputBytes) } : {}) },
      dataset: { name: test.name.replace(/\/test$/, ''), trainSamples: train.length, testSamples: Math.min(evalLimit ?? test.length, test.length) },
      budget: { metric: budget.metric, ratio: budget.ratio },
      policy: { source: policy.source, groups: policyGroups },
      before,
      after: { ...after, fileBytes: outputFileBytes },
      steps: result.steps,
      backend: { tfjs: tfjs?.engine ?? null, runtime: runtime.name as 'ort-web' | 'ort-node', threads: runtime.numThreads },
      durationMs: performance.now() - started,
      warnings,
    });
    await writeReports(report, { jsonPath: target.reportJson, htmlPath: target.reportHtml, protect: [inputPath, target.modelPath] });
    progress.finish();
    if (json) io.out(`${JSON.stringify(report, null, 2)}\n`);
    else io.out(`${renderTextSummary(report)}\nwrote ${target.modelPath}\n      ${target.reportJson}\n      ${target.reportHtml}\n`);
    return ExitCode.OK;
  },
});
