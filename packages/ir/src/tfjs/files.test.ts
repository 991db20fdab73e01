import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as TfCore from '@tensorflow/tfjs-core';
import { isMetacompressError } from '@metacompress/core';
import type { Graph } from '../graph';
import { GraphBuilder } from '../shape/test-builders';
import { loadTfjs, saveTfjs } from './files';
import { parseTfjsModelJson } from './model-json';
import {
  loadTf,
  maxAbsDiff,
  predict,
  randomData,
  runOrt,
  toNhwc,
  type Dense,
  type Tf,
} from './test-runtimes';

let tf: Tf;
const scratch = mkdtempSync(join(tmpdir(), 'mc-tfjs-files-'));
beforeAll(async () => {
  tf = await loadTf();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cnn(seed = 1): Graph {
  const b = new GraphBuilder({ seed });
  const x = b.input('x', ['N', 1, 8, 8]);
  const c = b.relu(b.conv(x, { inChannels: 1, outChannels: 4, kernel: 3, pads: [1, 1, 1, 1] }));
  b.output(b.gemm(b.flatten(b.maxPool(c, 2)), { inFeatures: 64, outFeatures: 5 }), ['N', 5]);
  return b.build();
}

/** What `tf.loadLayersModel('file://…/model.json')` does with tfjs-node, done with the files on disk. */
function fileHandler(modelPath: string): TfCore.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(modelPath, 'utf8'));
      const folder = join(modelPath, '..');
      const shards = json.weightsManifest.flatMap((g: { paths: string[] }) =>
        g.paths.map((p) => readFileSync(join(folder, p))),
      );
      const data = new Uint8Array(Buffer.concat(shards));
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
        weightData: data.buffer,
        format: json.format,
      };
    },
  };
}

function errorOf(fn: () => Promise<unknown>): Promise<unknown> {
  return fn().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('saveTfjs / loadTfjs', () => {
  it('writes model.json + group1-shard1of1.bin atomically; TF.js loads the files and matches the IR; loadTfjs reads them back', async () => {
    const graph = cnn();
    const dir = join(scratch, 'one');
    const saved = await saveTfjs(graph, dir);
    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json']); // no temp files left
    const json = parseTfjsModelJson(readFileSync(saved.modelPath, 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    const weightBytes = json.weightsManifest[0].weights.reduce(
      (a, w) => a + w.shape.reduce((p, q) => p * q, 1) * 4,
      0,
    );
    expect(statSync(saved.shardPaths[0]).size).toBe(weightBytes);

    const input: Dense = { data: randomData(2 * 64, 3), dims: [2, 1, 8, 8] };
    const [want] = await runOrt(graph, { x: input });
    const model = await tf.loadLayersModel(fileHandler(saved.modelPath));
    expect(maxAbsDiff(predict(tf, model, toNhwc(input)), want)).toBeLessThan(1e-4);
    model.dispose();

    // Folder and file paths both load; the decoded graph takes NHWC (as the TF.js model does).
    for (const path of [dir, saved.modelPath]) {
      const back = await loadTfjs(path);
      expect(back.inputs[0].type).toMatchObject({ shape: ['N', 8, 8, 1] });
      const [got] = await runOrt(back, { [back.inputs[0].name]: toNhwc(input) });
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
    }
  });

  it('splits weights into shards (4 MiB by default, like TF.js) and reads them back in order', async () => {
    const b = new GraphBuilder({ seed: 2 });
    const x = b.input('x', ['N', 1100]);
    b.output(b.gemm(x, { inFeatures: 1100, outFeatures: 1000 }), ['N', 1000]); // 4.4 MB of weights
    const big = b.build();
    const saved = await saveTfjs(big, join(scratch, 'big', 'model.json'));
    expect(saved.shardPaths.map((p) => p.split('/').pop())).toEqual([
      'group1-shard1of2.bin',
      'group1-shard2of2.bin',
    ]);
    expect(statSync(saved.shardPaths[0]).size).toBe(4 * 1024 * 1024);
    expect(statSync(saved.shardPaths[1]).size).toBe((1100 * 1000 + 1000) * 4 - 4 * 1024 * 1024);
    const input: Dense = { data: randomData(1100, 4), dims: [1, 1100] };
    const [want] = await runOrt(big, { x: input });
    const [got] = await runOrt(await loadTfjs(saved.modelPath), { x: input });
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);

    const small = await saveTfjs(cnn(3), join(scratch, 'small'), { shardBytes: 100 });
    expect(small.shardPaths.length).toBe(Math.ceil(((4 * 9 + 4 + (5 * 64 + 5)) * 4) / 100));
    const model = await tf.loadLayersModel(fileHandler(small.modelPath));
    const img: Dense = { data: randomData(64, 5), dims: [1, 1, 8, 8] };
    const [ref] = await runOrt(cnn(3), { x: img });
    expect(maxAbsDiff(predict(tf, model, toNhwc(img)), ref)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('a missing shard, a short shard, a shard path leaving the folder: typed errors naming the file', async () => {
    const dir = join(scratch, 'bad');
    const saved = await saveTfjs(cnn(), dir, { shardBytes: 64 });
    const modelJson = readFileSync(saved.modelPath, 'utf8');

    unlinkSync(saved.shardPaths[1]);
    const missing = await errorOf(() => loadTfjs(dir));
    expect(isMetacompressError(missing, 'MC_EXTERNAL_DATA_MISSING')).toBe(true);
    expect((missing as Error).message).toContain('group1-shard2of');

    writeFileSync(saved.shardPaths[1], new Uint8Array(64));
    truncateSync(saved.shardPaths[saved.shardPaths.length - 1], 2);
    const short = await errorOf(() => loadTfjs(dir));
    expect(isMetacompressError(short, 'MC_EXTERNAL_DATA_MISSING')).toBe(true);
    expect((short as Error).message).toMatch(/hold \d+ bytes but its \d+ weights need \d+/);

    const json = JSON.parse(modelJson);
    json.weightsManifest[0].paths[0] = '../../etc/passwd';
    writeFileSync(saved.modelPath, JSON.stringify(json));
    expect(isMetacompressError(await errorOf(() => loadTfjs(dir)), 'MC_EXTERNAL_DATA_PATH')).toBe(true);
  });

  it('malformed model.json, a missing path, a folder without model.json; refusing to overwrite the input', async () => {
    const dir = join(scratch, 'malformed');
    const saved = await saveTfjs(cnn(), dir);
    writeFileSync(saved.modelPath, '{"format": "layers-model", "modelTopology": ');
    const bad = await errorOf(() => loadTfjs(saved.modelPath));
    expect(isMetacompressError(bad, 'MC_ONNX_DECODE')).toBe(true);
    expect((bad as Error).message).toContain(saved.modelPath);
    expect(
      isMetacompressError(await errorOf(() => loadTfjs(join(scratch, 'nothing-here'))), 'MC_FILE_NOT_FOUND'),
    ).toBe(true);
    expect(isMetacompressError(await errorOf(() => loadTfjs(scratch)), 'MC_FILE_NOT_FOUND')).toBe(true);
    const protect = await errorOf(() => saveTfjs(cnn(), saved.modelPath, { protect: [saved.modelPath] }));
    expect(isMetacompressError(protect, 'MC_OUTPUT_IS_INPUT')).toBe(true);
  });
});
