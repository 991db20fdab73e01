/**
 * Accuracy, size and onnxruntime-web latency of quantized MNIST fixtures, measured on the files as
 * written: every variant is saved, read back and run in onnxruntime-web (wasm, 1 thread) on the full
 * 10k MNIST test set; latency is float file vs quantized file at batch 64, interleaved runs, medians.
 *
 *   npm run bench -w @metacompress/quantize -- [--models lenet5,vgg_bn,resnet,mobilenetv2,lenet300]
 *       [--variants gated,static,int4,ternary,binary,ternary-all,binary-all,fp16,dynamic] [--methods [percentile,entropy,mse]] [--limit 10000]
 *       [--runs 30] [--out reports/quantize] [--latency-only]
 *
 * Variants: `gated` is the operator's default (mode auto: per-layer timing, calibrated int8 where
 * faster, weight-only elsewhere, gate against float); `static` forces int8 QDQ on every eligible
 * layer (gate off) to measure the accuracy of full static quantization; `int4`/`ternary`/`binary`/
 * `fp16` are weight-only (binary and ternary keep the first and last layer float, as XNOR-Net and
 * TWN do; `ternary-all`/`binary-all` quantize every layer); `dynamic` is DynamicQuantizeLinear + MatMulInteger on Gemm/MatMul (gate off). `--methods`
 * adds static int8 with each calibration method. Results go to
 * `<out>/results.json` and a Markdown table on stdout; the files stay in `<out>/`. `--latency-only`
 * re-times the files of an earlier run (float vs each variant) without rebuilding them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendRegistry, compress, type Policy } from '@metacompress/core';
import { loadOnnx, saveOnnx, type Dim, type Graph } from '@metacompress/ir';
import { createOrtWebBackend, ORT_WEB, type OrtBackend } from '@metacompress/backend-ort';
import { fitToInput, loadMnist } from '@metacompress/tasks';
import { compareLatency, quantize, type QuantizeOptions } from '../src/index';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

interface Args {
  models: string[];
  variants: string[];
  methods: string[];
  latencyOnly: boolean;
  limit: number;
  runs: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    models: ['lenet5', 'vgg_bn', 'resnet', 'mobilenetv2', 'lenet300'],
    variants: ['gated', 'static', 'int4', 'ternary', 'binary'],
    methods: [],
    latencyOnly: false,
    limit: 10000,
    runs: 30,
    out: join(root, 'reports/quantize'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--models') args.models = value().split(',');
    else if (a === '--variants') args.variants = value().split(',');
    else if (a === '--methods')
      args.methods =
        argv[i + 1] && !argv[i + 1].startsWith('--') ? value().split(',') : ['percentile', 'entropy', 'mse'];
    else if (a === '--latency-only') args.latencyOnly = true;
    else if (a === '--limit') args.limit = Number(value());
    else if (a === '--runs') args.runs = Number(value());
    else if (a === '--out') args.out = resolve(value());
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

interface Row {
  model: string;
  variant: string;
  accuracy: number;
  floatAccuracy: number;
  lossPt: number;
  bytes: number;
  floatBytes: number;
  sizeRatio: number;
  floatMs?: number;
  quantizedMs?: number;
  latencyRatio?: number;
  minRatio?: number;
  emitted?: string;
  int8Layers?: string;
  checker: string;
  seconds: number;
}

function checker(file: string): string {
  if (!existsSync('/usr/bin/python3')) return 'n/a';
  try {
    execFileSync(
      '/usr/bin/python3',
      ['-c', 'import onnx,sys; onnx.checker.check_model(sys.argv[1], full_check=True)', file],
      { stdio: 'pipe', timeout: 120_000 },
    );
    return 'ok';
  } catch (error) {
    const e = error as { stderr?: Buffer };
    const text = e.stderr?.toString() ?? '';
    return /No module named/.test(text) ? 'n/a' : `FAIL: ${text.trim().split('\n').at(-1)}`;
  }
}

function weightNodes(graph: Graph): string[] {
  return graph.nodes
    .filter(
      (n) =>
        ['Conv', 'Gemm', 'MatMul'].includes(n.opType) &&
        graph.initializers.some((t) => t.name === n.inputs[1]),
    )
    .map((n) => n.name);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.out, { recursive: true });
  const web: OrtBackend = await createOrtWebBackend({ numThreads: 1, maxSessions: 4 });
  const registry = new BackendRegistry();
  registry.register({ name: ORT_WEB, kind: 'inference', priority: 10, init: () => web });
  const policy: Policy = { budget: { metric: 'bytes', ratio: 1 }, groups: [], source: 'bench' };
  const trainAll = await loadMnist({ split: 'train' });
  const testAll = await loadMnist({ split: 'test' });
  const rows: Row[] = [];
  console.log(
    `engine: ${web.engine}; test samples: ${Math.min(args.limit, testAll.length)}; latency: batch 64, ${args.runs} interleaved runs, medians\n`,
  );

  if (args.latencyOnly) {
    // Re-time files written by an earlier run (e.g. on a quieter machine): float vs each variant.
    for (const model of args.models) {
      const floatBytes = new Uint8Array(readFileSync(join(root, 'fixtures/models', `${model}.onnx`)));
      for (const variant of args.variants) {
        const file = join(args.out, `${model}.${variant}.onnx`);
        if (!existsSync(file)) continue;
        const c = await compareLatency(web, floatBytes, new Uint8Array(readFileSync(file)), {
          batchSize: 64,
          runs: args.runs,
          warmup: 5,
        });
        console.log(
          `${model.padEnd(12)} ${variant.padEnd(10)} float ${c.referenceMs.toFixed(2)} ms  quantized ${c.candidateMs.toFixed(2)} ms  ratio ${c.ratio.toFixed(3)} (paired median)  fastest-run ratio ${c.minRatio.toFixed(3)}`,
        );
        await web.dispose();
      }
    }
    return;
  }
  for (const model of args.models) {
    const path = join(root, 'fixtures/models', `${model}.onnx`);
    const graph = await loadOnnx(path);
    const floatBytes = new Uint8Array(readFileSync(path));
    const type = graph.inputs[0].type;
    if (type?.kind !== 'tensor' || !type.shape) throw new Error(`${model}: input has no tensor shape`);
    const inputShape: readonly Dim[] = type.shape;
    const test = fitToInput(testAll, inputShape);
    const calibration = fitToInput(trainAll, inputShape).subset(
      Array.from({ length: 512 }, (_, i) => i * 117),
    );
    const floatAccuracy = (await web.evaluate(floatBytes, test, { limit: args.limit })).accuracy;
    console.log(
      `${model}: float accuracy ${(floatAccuracy * 100).toFixed(2)} %, ${floatBytes.byteLength} bytes`,
    );
    const weights = weightNodes(graph);
    const edges = { exclude: { names: [weights[0], weights[weights.length - 1]] } };
    const variants: [string, Partial<QuantizeOptions>][] = [];
    for (const v of args.variants) {
      if (v === 'gated') variants.push(['gated', {}]);
      else if (v === 'static') variants.push(['static', { mode: 'static', gate: false }]);
      else if (v === 'int4') variants.push(['int4', { mode: 'weight-only', bits: 4, gate: false }]);
      else if (v === 'fp16') variants.push(['fp16', { mode: 'weight-only', bits: 16, gate: false }]);
      else if (v === 'dynamic') variants.push(['dynamic', { mode: 'dynamic', gate: false }]);
      else if (v === 'ternary')
        variants.push(['ternary', { mode: 'weight-only', bits: 2, gate: false, selector: edges }]);
      else if (v === 'binary')
        variants.push(['binary', { mode: 'weight-only', bits: 1, gate: false, selector: edges }]);
      else if (v === 'ternary-all')
        variants.push(['ternary-all', { mode: 'weight-only', bits: 2, gate: false }]);
      else if (v === 'binary-all')
        variants.push(['binary-all', { mode: 'weight-only', bits: 1, gate: false }]);
      else throw new Error(`unknown variant ${v}`);
    }
    for (const m of args.methods)
      variants.push([
        `static-${m}`,
        { mode: 'static', gate: false, calibration: m as QuantizeOptions['calibration'] },
      ]);
    for (const [variant, options] of variants) {
      const started = performance.now();
      const result = await compress(graph, [quantize.with(options)], {
        policy,
        backends: registry,
        data: { calibration },
      });
      const report = result.steps[0].report as { emitted: string; layers: { compute: string }[] };
      const file = join(args.out, `${model}.${variant}.onnx`);
      await saveOnnx(result.graph, file);
      const bytes = new Uint8Array(readFileSync(file));
      const accuracy = (await web.evaluate(bytes, test, { limit: args.limit })).accuracy;
      const row: Row = {
        model,
        variant,
        accuracy,
        floatAccuracy,
        lossPt: Math.round((floatAccuracy - accuracy) * 10000) / 100,
        bytes: bytes.byteLength,
        floatBytes: floatBytes.byteLength,
        sizeRatio: Math.round((floatBytes.byteLength / bytes.byteLength) * 100) / 100,
        emitted: report.emitted,
        int8Layers: `${report.layers.filter((l) => l.compute !== 'float').length}/${report.layers.length}`,
        checker: checker(file),
        seconds: 0,
      };
      if (variant === 'gated' || variant === 'static' || variant === 'dynamic') {
        const c = await compareLatency(web, floatBytes, bytes, { batchSize: 64, runs: args.runs, warmup: 5 });
        row.floatMs = Math.round(c.referenceMs * 100) / 100;
        row.quantizedMs = Math.round(c.candidateMs * 100) / 100;
        row.latencyRatio = Math.round(c.ratio * 1000) / 1000;
        row.minRatio = Math.round(c.minRatio * 1000) / 1000;
      }
      row.seconds = Math.round((performance.now() - started) / 100) / 10;
      rows.push(row);
      console.log(
        `  ${variant.padEnd(17)} acc ${(accuracy * 100).toFixed(2)} % (loss ${row.lossPt.toFixed(2)} pt)  ${row.bytes} bytes (${row.sizeRatio}× smaller)` +
          (row.latencyRatio !== undefined
            ? `  latency float ${row.floatMs} ms, quantized ${row.quantizedMs} ms, ratio ${row.latencyRatio} (fastest runs ${row.minRatio})`
            : '') +
          `  [${row.emitted}; int8 layers ${row.int8Layers}; checker ${row.checker}; ${row.seconds} s]`,
      );
      await web.dispose();
    }
  }
  writeFileSync(
    join(args.out, 'results.json'),
    `${JSON.stringify({ engine: web.engine, limit: args.limit, rows }, null, 2)}\n`,
  );
  console.log(
    '\n| model | variant | top-1 % | loss (pt) | bytes | × smaller | float ms | quantized ms | ratio | emitted |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.model} | ${r.variant} | ${(r.accuracy * 100).toFixed(2)} | ${r.lossPt.toFixed(2)} | ${r.bytes} | ${r.sizeRatio} | ${r.floatMs ?? ''} | ${r.quantizedMs ?? ''} | ${r.latencyRatio ?? ''} | ${r.emitted} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
