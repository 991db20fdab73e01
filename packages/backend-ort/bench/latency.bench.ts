/**
 * Latency of a model in onnxruntime-web (wasm, the browser reference) and onnxruntime-node, at
 * batch 1 and 64: warm-up runs, then timed runs; median, p10–p90 and min–max per backend, and
 * how many times faster the native build is.
 *
 *   npm run bench -w @metacompress/backend-ort -- [model.onnx] [--runs 30] [--warmup 5] [--threads 1] [--batch 1,64] [--generated]
 *
 * Without a model it uses the LeNet-5 fixture (fixtures/models/lenet5.onnx), or, when that file
 * is missing (or with `--generated`), a LeNet-5 of the same shapes with random weights built in the IR.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createOrtNodeBackend, createOrtWebBackend, type OrtBackend, type OrtLatencyStats, type OrtModel } from '../src/base';
import { generatedLenet } from './generated-lenet';

interface Args {
  model?: string;
  runs: number;
  warmup: number;
  threads: number;
  batches: number[];
  generated: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 30, warmup: 5, threads: 1, batches: [1, 64], generated: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') args.runs = Number(value());
    else if (a === '--warmup') args.warmup = Number(value());
    else if (a === '--threads') args.threads = Number(value());
    else if (a === '--batch') args.batches = value().split(',').map(Number);
    else if (a === '--generated') args.generated = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else args.model = a;
  }
  return args;
}

const fmt = (ms: number): string => (ms < 10 ? ms.toFixed(3) : ms.toFixed(1)).padStart(8);
const line = (s: OrtLatencyStats): string =>
  `${s.backend.padEnd(9)} batch ${String(s.batchSize).padStart(3)}  median ${fmt(s.medianMs)} ms  p10–p90 ${fmt(s.p10Ms)} –${fmt(s.p90Ms)}  min–max ${fmt(s.minMs)} –${fmt(s.maxMs)}  (${s.runs} runs)`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const here = dirname(fileURLToPath(import.meta.url));
  const fixture = resolve(here, '../../../fixtures/models/lenet5.onnx');
  let model: OrtModel;
  let label: string;
  if (args.model) {
    model = new Uint8Array(readFileSync(args.model));
    label = args.model;
  } else if (!args.generated && existsSync(fixture)) {
    model = new Uint8Array(readFileSync(fixture));
    label = 'LeNet-5 fixture (fixtures/models/lenet5.onnx)';
  } else {
    model = generatedLenet(0);
    label = 'generated LeNet-5 (random weights)';
  }
  const web = await createOrtWebBackend({ numThreads: args.threads });
  let node: OrtBackend | undefined;
  try {
    node = await createOrtNodeBackend({ numThreads: args.threads });
  } catch (error) {
    console.log(`onnxruntime-node unavailable: ${(error as Error).message}`);
  }
  console.log(`model: ${label}`);
  console.log(`engines: ${web.engine}${node ? `; ${node.engine}` : ''}`);
  console.log(`${args.warmup} warm-up runs, ${args.runs} timed runs, random inputs\n`);
  for (const batchSize of args.batches) {
    const options = { batchSize, warmup: args.warmup, runs: args.runs };
    const w = await web.latency(model, options);
    console.log(line(w));
    if (node) {
      const n = await node.latency(model, options);
      console.log(line(n));
      console.log(`${''.padEnd(9)} batch ${String(batchSize).padStart(3)}  onnxruntime-node is ${(w.medianMs / n.medianMs).toFixed(2)}× faster (median)\n`);
    }
  }
  await Promise.all([web.dispose(), node?.dispose()]);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
