/**
 * Latency of uniformly channel-pruned fixtures in onnxruntime-web (wasm, the browser reference),
 * against the unpruned models: does cutting MACs by a factor F make inference about F times faster?
 * Goal: speedup ≥ 0.7 × F at 25 % of the MACs, batch 64.
 *
 *   npm run bench -w @metacompress/prune -- [--models resnet,vgg_bn,mobilenetv2,lenet300] [--ratio 0.25]
 *     [--batch 64] [--runs 30] [--warmup 5] [--round-to 4] [--threads 1] [--criterion l1]
 *
 * Method: both models are warmed up, then timed in interleaved pairs (the order alternates every
 * pair, so drift and other processes' load hit both alike) on the same random input; we report the
 * medians (and their ratio, which the goal is judged on), the median of the per-pair ratios, and the
 * ratio of the fastest runs (the least disturbed by other processes on a shared machine). `--round-to` takes a list (e.g. `1,4,8`) to compare
 * channel roundings. `--profile` also runs onnxruntime's profiler on both models and splits the time
 * (the fastest of the profiled runs, per node) between dense convolutions, depthwise convolutions,
 * Gemm/MatMul and everything else, beside each part's share of the MACs — that is where a model
 * whose latency does not follow its MACs shows why.
 */
import fs from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { compress } from '@metacompress/core';
import { createOrtWebBackend, type OrtModule } from '@metacompress/backend-ort';
import { costOf, encodeOnnx, loadOnnx } from '@metacompress/ir';
import { channelPrune, uniformPolicy } from '../src/index';

interface Args {
  models: string[];
  ratio: number;
  batch: number;
  runs: number;
  warmup: number;
  roundTo: number[];
  threads: number;
  criterion: string;
  profile: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    models: ['resnet', 'vgg_bn', 'mobilenetv2', 'lenet300'],
    ratio: 0.25,
    batch: 64,
    runs: 30,
    warmup: 5,
    roundTo: [4],
    threads: 1,
    criterion: 'l1',
    profile: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--models') args.models = value().split(',');
    else if (a === '--ratio') args.ratio = Number(value());
    else if (a === '--batch') args.batch = Number(value());
    else if (a === '--runs') args.runs = Number(value());
    else if (a === '--warmup') args.warmup = Number(value());
    else if (a === '--round-to') args.roundTo = value().split(',').map(Number);
    else if (a === '--threads') args.threads = Number(value());
    else if (a === '--criterion') args.criterion = value();
    else if (a === '--profile') args.profile = true;
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

type Kind = 'dense conv' | 'depthwise conv' | 'gemm/matmul' | 'other';

interface NodeEvent {
  name: string;
  dur: number;
  args: {
    op_name: string;
    input_type_shape?: { float?: number[] }[];
    output_type_shape?: { float?: number[] }[];
  };
}

/** Per kind of node: the fastest profiled time (summed over nodes, ms) and MACs. */
async function profileByKind(
  ort: OrtModule,
  bytes: Uint8Array,
  feeds: Record<string, { dims: number[]; data: Float32Array }>,
  runs: number,
): Promise<{ kinds: Map<Kind, { ms: number; macs: number }>; runMs: number }> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    enableProfiling: true,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const tensors = Object.fromEntries(
    Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]),
  );
  for (let i = 0; i < 2; i++) await session.run(tensors);
  // the wasm build prints its profile with fs.writeSync on stdout: capture it
  const writeSync = fs.writeSync;
  let captured = '';
  (fs as { writeSync: unknown }).writeSync = (fd: number, data: unknown, ...rest: unknown[]): number => {
    if (fd !== 1 && fd !== 2) return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
    if (typeof data === 'string') captured += data;
    else if (ArrayBuffer.isView(data)) {
      const [offset = 0, length = data.byteLength - (offset as number)] = rest as number[];
      captured += new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset + offset, length));
      return length;
    }
    return typeof data === 'string' ? data.length : 0;
  };
  try {
    for (let i = 0; i < runs; i++) await session.run(tensors);
    session.endProfiling();
  } finally {
    fs.writeSync = writeSync;
  }
  await session.release();
  const best = new Map<string, NodeEvent>();
  let runMs = Infinity;
  for (const line of captured.split('\n')) {
    if (line.includes('"name" :"model_run"'))
      runMs = Math.min(runMs, (JSON.parse(line.replace(/,\s*$/, '')) as NodeEvent).dur / 1000);
    if (!line.includes('"cat" : "Node"') || !line.includes('_kernel_time')) continue;
    const e = JSON.parse(line.replace(/,\s*$/, '')) as NodeEvent;
    const prev = best.get(e.name);
    if (!prev || e.dur < prev.dur) best.set(e.name, e);
  }
  const out = new Map<Kind, { ms: number; macs: number }>();
  for (const e of best.values()) {
    const op = e.args.op_name;
    const x = e.args.input_type_shape?.[0]?.float;
    const w = e.args.input_type_shape?.[1]?.float;
    const y = e.args.output_type_shape?.[0]?.float;
    const count = (d?: number[]): number => (d ?? []).reduce((a, b) => a * b, 1);
    let kind: Kind = 'other';
    let macs = 0;
    if ((op === 'Conv' || op === 'FusedConv') && w && y) {
      kind = w[1] === 1 && (x?.[1] ?? 1) > 1 ? 'depthwise conv' : 'dense conv';
      macs = count(y) * count(w.slice(1));
    } else if ((op === 'Gemm' || op === 'MatMul' || op === 'FusedGemm') && x && y) {
      kind = 'gemm/matmul';
      macs = count(y) * x[x.length - 1];
    }
    const entry = out.get(kind) ?? { ms: 0, macs: 0 };
    entry.ms += e.dur / 1000;
    entry.macs += macs;
    out.set(kind, entry);
  }
  return { kinds: out, runMs };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const fixtures = resolve(import.meta.dirname, '../../../fixtures/models');
  const ort = await createOrtWebBackend({ numThreads: args.threads });
  console.log(
    `engine: ${ort.engine}; batch ${args.batch}; ${args.warmup} warm-up runs, ${args.runs} interleaved timed pairs; target ${args.ratio} of the MACs`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${cpus().length} cores\n`,
  );
  const profiles: string[] = [];
  const rows: string[][] = [
    [
      'model',
      'roundTo',
      'MACs ratio',
      'MACs ×',
      'base ms',
      'pruned ms',
      'latency ×',
      'pair-median ×',
      'fastest ×',
      'latency× / MACs×',
      'goal ≥ 0.7',
    ],
  ];
  for (const name of args.models) {
    const graph = await loadOnnx(resolve(fixtures, `${name}.onnx`));
    const input = graph.inputs.find((i) => !graph.initializers.some((t) => t.name === i.name))!;
    const shape =
      input.type?.kind === 'tensor' && input.type.shape
        ? input.type.shape.map((d, k) => (k === 0 ? args.batch : typeof d === 'number' ? d : 1))
        : [args.batch, 1, 28, 28];
    const size = shape.reduce((a, b) => a * b, 1);
    const feeds = {
      [input.name]: {
        dims: shape,
        data: Float32Array.from({ length: size }, (_, i) => ((i * 2654435761) % 1000) / 1000),
      },
    };
    const base = encodeOnnx(graph);
    const baseCost = costOf(graph);
    for (const roundTo of args.roundTo) {
      let pruned: Uint8Array;
      let macsRatio: number;
      try {
        const policy = uniformPolicy(graph, { metric: 'macs', ratio: args.ratio }, { roundTo });
        const { graph: small } = await compress(
          graph,
          [channelPrune.with({ criterion: args.criterion, roundTo })],
          { policy },
        );
        pruned = encodeOnnx(small);
        macsRatio = costOf(small).macs / baseCost.macs;
      } catch (error) {
        rows.push([name, String(roundTo), `(${(error as Error).message.slice(0, 60)}…)`]);
        continue;
      }
      for (let i = 0; i < args.warmup; i++) {
        await ort.run(base, feeds);
        await ort.run(pruned, feeds);
      }
      const tb: number[] = [];
      const tp: number[] = [];
      const pairs: number[] = [];
      for (let r = 0; r < args.runs; r++) {
        const order = r % 2 === 0 ? [base, pruned] : [pruned, base];
        const times: number[] = [];
        for (const m of order) {
          const t = performance.now();
          await ort.run(m, feeds);
          times.push(performance.now() - t);
        }
        const [b, p] = r % 2 === 0 ? times : [times[1], times[0]];
        tb.push(b);
        tp.push(p);
        pairs.push(b / p);
      }
      const macsFactor = 1 / macsRatio;
      const speedup = median(tb) / median(tp);
      const quotient = speedup / macsFactor;
      rows.push([
        name,
        String(roundTo),
        macsRatio.toFixed(4),
        macsFactor.toFixed(2),
        median(tb).toFixed(2),
        median(tp).toFixed(2),
        speedup.toFixed(2),
        median(pairs).toFixed(2),
        (Math.min(...tb) / Math.min(...tp)).toFixed(2),
        quotient.toFixed(2),
        quotient >= 0.7 ? 'yes' : 'NO',
      ]);
      await ort.dispose();
      if (args.profile) {
        const runs = Math.max(5, Math.min(args.runs, 15));
        const { kinds: pb, runMs: rb } = await profileByKind(ort.ort, base, feeds, runs);
        const { kinds: pp, runMs: rp } = await profileByKind(ort.ort, pruned, feeds, runs);
        const totalMs = (m: Map<Kind, { ms: number }>): number =>
          [...m.values()].reduce((a, v) => a + v.ms, 0);
        const totalMacs = [...pb.values()].reduce((a, v) => a + v.macs, 0);
        profiles.push(`${name} (roundTo ${roundTo}), fastest of ${runs} profiled runs per node:`);
        profiles.push(
          `  ${'kind'.padEnd(15)} ${'base ms'.padStart(9)} ${'share'.padStart(6)} ${'MACs share'.padStart(10)} ${'pruned ms'.padStart(9)} ${'speedup'.padStart(8)} ${'MACs ×'.padStart(7)}`,
        );
        for (const kind of ['dense conv', 'depthwise conv', 'gemm/matmul', 'other'] as Kind[]) {
          const b = pb.get(kind);
          const p = pp.get(kind);
          if (!b) continue;
          profiles.push(
            `  ${kind.padEnd(15)} ${b.ms.toFixed(2).padStart(9)} ${((100 * b.ms) / totalMs(pb)).toFixed(0).padStart(5)}% ${((100 * b.macs) / totalMacs).toFixed(1).padStart(9)}% ${(p?.ms ?? 0).toFixed(2).padStart(9)} ${(b.ms / (p?.ms ?? NaN)).toFixed(2).padStart(8)} ${(b.macs / (p?.macs || NaN)).toFixed(2).padStart(7)}`,
          );
        }
        profiles.push(
          `  ${'all nodes'.padEnd(15)} ${totalMs(pb).toFixed(2).padStart(9)} ${''.padStart(6)} ${''.padStart(10)} ${totalMs(pp).toFixed(2).padStart(9)} ${(totalMs(pb) / totalMs(pp)).toFixed(2).padStart(8)}`,
        );
        profiles.push(
          `  ${'whole run'.padEnd(15)} ${rb.toFixed(2).padStart(9)} ${''.padStart(6)} ${''.padStart(10)} ${rp.toFixed(2).padStart(9)} ${(rb / rp).toFixed(2).padStart(8)}   (fastest profiled model_run)`,
        );
      }
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, c) => (cell ?? '').padStart(widths[c])).join('  '));
  if (profiles.length) console.log(`\n${profiles.join('\n')}`);
  console.log(
    `\nload average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
