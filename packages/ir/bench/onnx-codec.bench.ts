/**
 * Benchmark of the ONNX codec on a ResNet-18-sized model (~46 MB, ~11.7M float parameters, BN
 * unfused as in an unoptimized export): load + save through the IR against a bare protobufjs
 * decode + encode of the same bytes with the same schema, and the peak memory of an IR load + save
 * measured in a child process.
 *
 * Goals: IR time ≤ 1.3× bare protobufjs; peak RSS growth during load + save ≤ 3× the file size.
 *
 *   npm run bench -w @metacompress/ir
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@metacompress/core';
import {
  DataType,
  createTensor,
  decodeOnnx,
  encodeOnnx,
  loadOnnx,
  onnxTypes,
  saveOnnx,
  type Graph,
  type Node,
  type Tensor,
} from '../src/index';

/** Builds a ResNet-18 (ImageNet head) with seeded random weights, Conv + BatchNormalization + Relu. */
function resnet18(seed = 1): Graph {
  const rng = createRng(seed);
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  const random = (name: string, dims: number[], scale: number): string => {
    const n = dims.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = rng.normal() * scale;
    initializers.push(createTensor(name, DataType.FLOAT, dims, values));
    return name;
  };
  const constant = (name: string, dims: number[], value: number): string => {
    initializers.push(
      createTensor(name, DataType.FLOAT, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value)),
    );
    return name;
  };
  const node = (
    opType: string,
    name: string,
    inputs: string[],
    attributes: Node['attributes'] = {},
  ): string => {
    const out = `${name}_out`;
    nodes.push({ name, opType, domain: '', inputs, outputs: [out], attributes });
    return out;
  };
  const conv = (x: string, name: string, cin: number, cout: number, k: number, stride: number): string => {
    const w = random(`${name}.weight`, [cout, cin, k, k], Math.sqrt(2 / (cin * k * k)));
    const pad = Math.floor(k / 2);
    return node('Conv', name, [x, w], {
      kernel_shape: { type: 'ints', value: [k, k] },
      strides: { type: 'ints', value: [stride, stride] },
      pads: { type: 'ints', value: [pad, pad, pad, pad] },
      dilations: { type: 'ints', value: [1, 1] },
      group: { type: 'int', value: 1 },
    });
  };
  const bn = (x: string, name: string, c: number): string =>
    node(
      'BatchNormalization',
      name,
      [
        x,
        constant(`${name}.weight`, [c], 1),
        random(`${name}.bias`, [c], 0.01),
        random(`${name}.running_mean`, [c], 0.01),
        constant(`${name}.running_var`, [c], 1),
      ],
      {
        epsilon: { type: 'float', value: 1e-5 },
        momentum: { type: 'float', value: 0.9 },
      },
    );
  const relu = (x: string, name: string): string => node('Relu', name, [x]);

  let x = relu(bn(conv('input', 'conv1', 3, 64, 7, 2), 'bn1', 64), 'relu1');
  x = node('MaxPool', 'maxpool', [x], {
    kernel_shape: { type: 'ints', value: [3, 3] },
    strides: { type: 'ints', value: [2, 2] },
    pads: { type: 'ints', value: [1, 1, 1, 1] },
  });
  let cin = 64;
  for (const [stage, cout] of [64, 128, 256, 512].entries()) {
    for (let block = 0; block < 2; block++) {
      const p = `layer${stage + 1}.${block}`;
      const stride = stage > 0 && block === 0 ? 2 : 1;
      let y = relu(bn(conv(x, `${p}.conv1`, cin, cout, 3, stride), `${p}.bn1`, cout), `${p}.relu1`);
      y = bn(conv(y, `${p}.conv2`, cout, cout, 3, 1), `${p}.bn2`, cout);
      const shortcut =
        stride !== 1 || cin !== cout
          ? bn(conv(x, `${p}.downsample.0`, cin, cout, 1, stride), `${p}.downsample.1`, cout)
          : x;
      x = relu(node('Add', `${p}.add`, [y, shortcut]), `${p}.relu2`);
      cin = cout;
    }
  }
  x = node('Flatten', 'flatten', [node('GlobalAveragePool', 'avgpool', [x])], {
    axis: { type: 'int', value: 1 },
  });
  const logits = node(
    'Gemm',
    'fc',
    [x, random('fc.weight', [1000, 512], Math.sqrt(1 / 512)), random('fc.bias', [1000], 0.01)],
    {
      alpha: { type: 'float', value: 1 },
      beta: { type: 'float', value: 1 },
      transB: { type: 'int', value: 1 },
    },
  );
  return {
    name: 'resnet18',
    nodes,
    inputs: [
      { name: 'input', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', 3, 224, 224] } },
    ],
    outputs: [{ name: logits, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', 1000] } }],
    valueInfo: [],
    initializers,
    model: {
      irVersion: 8,
      opsetImports: [{ domain: '', version: 13 }],
      producerName: 'metacompress-bench',
      metadataProps: [],
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const MB = 1024 * 1024;

/** Child mode: one IR load + save (or bare protobufjs decode + encode), then report memory as JSON. */
async function child(mode: string, file: string, out: string): Promise<void> {
  // Touch everything the measured work needs first, so the baseline includes code, not data.
  onnxTypes();
  if (global.gc) global.gc();
  const baseline = process.memoryUsage().rss;
  if (mode === 'ir') {
    const graph = await loadOnnx(file);
    await saveOnnx(graph, out);
  } else {
    const { ModelProto } = onnxTypes();
    const bytes = readFileSync(file);
    writeFileSync(out, ModelProto.encode(ModelProto.decode(bytes)).finish());
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ baseline, peak }));
}

function measureInChild(mode: string, file: string, out: string): { baseline: number; peak: number } {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, '--expose-gc', script, '--child', mode, file, out],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() as string);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-onnx-bench-'));
  try {
    const file = join(dir, 'resnet18.onnx');
    let started = performance.now();
    const graph = resnet18();
    writeFileSync(file, encodeOnnx(graph));
    const size = statSync(file).size;
    const params = graph.initializers.reduce((n, t) => n + (t.raw?.byteLength ?? 0) / 4, 0);
    console.log(
      `ResNet-18-sized model: ${(size / MB).toFixed(1)} MiB, ${(params / 1e6).toFixed(2)}M float params, ` +
        `${graph.nodes.length} nodes, ${graph.initializers.length} initializers (built in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );

    const bytes = readFileSync(file);
    const { ModelProto } = onnxTypes();
    const bare = (): number => {
      const t = performance.now();
      const message = ModelProto.decode(bytes);
      const out = ModelProto.encode(message).finish();
      if (out.length !== bytes.length) throw new Error('bare round trip changed the size');
      return performance.now() - t;
    };
    const ir = (): number => {
      const t = performance.now();
      const out = encodeOnnx(decodeOnnx(bytes));
      if (out.length !== bytes.length) throw new Error('IR round trip changed the size');
      return performance.now() - t;
    };
    const reps = 9;
    for (let i = 0; i < 2; i++) {
      bare();
      ir();
    }
    const bareTimes: number[] = [];
    const irTimes: number[] = [];
    for (let i = 0; i < reps; i++) {
      bareTimes.push(bare());
      irTimes.push(ir());
    }
    const bareMs = median(bareTimes);
    const irMs = median(irTimes);
    const ratio = irMs / bareMs;
    console.log(`bare protobufjs decode+encode: median ${bareMs.toFixed(1)} ms over ${reps} runs`);
    console.log(`IR decodeOnnx+encodeOnnx:      median ${irMs.toFixed(1)} ms over ${reps} runs`);
    console.log(`ratio IR / bare: ${ratio.toFixed(2)}× (goal ≤ 1.30×) ${ratio <= 1.3 ? 'MET' : 'NOT MET'}`);

    started = performance.now();
    const loaded = await loadOnnx(file);
    await saveOnnx(loaded, join(dir, 'saved.onnx'));
    console.log(
      `loadOnnx + saveOnnx with file I/O: ${(performance.now() - started).toFixed(1)} ms (one run)`,
    );

    const mem = measureInChild('ir', file, join(dir, 'child-ir.onnx'));
    const memBare = measureInChild('bare', file, join(dir, 'child-bare.onnx'));
    const growth = (mem.peak - mem.baseline) / size;
    console.log(
      `peak RSS, IR loadOnnx + saveOnnx in a child process: ${(mem.peak / MB).toFixed(0)} MiB ` +
        `(baseline ${(mem.baseline / MB).toFixed(0)} MiB before loading; growth ${((mem.peak - mem.baseline) / MB).toFixed(0)} MiB = ` +
        `${growth.toFixed(2)}× the file size; goal ≤ 3×) ${growth <= 3 ? 'MET' : 'NOT MET'}`,
    );
    console.log(`  absolute peak / file size: ${(mem.peak / size).toFixed(2)}×`);
    console.log(
      `  for comparison, bare protobufjs read + decode + encode + write: growth ${((memBare.peak - memBare.baseline) / MB).toFixed(0)} MiB = ` +
        `${((memBare.peak - memBare.baseline) / size).toFixed(2)}× the file size`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(args[1], args[2], args[3]);
else await main();
