import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendRegistry, isMetacompressError, type Dataset, type ProgressEvent } from '@metacompress/core';
import { loadOnnx } from '@metacompress/ir';
import { initTfjs } from './init-tfjs';
import { registerTfjsBackends } from '../backend/register';
import type { TfjsDifferentiableBackend } from '../backend/tfjs-backend';
import { locateWasmFiles } from './wasm-files';
import { hasCoreGradients } from './core-gradients';

const tfjsNodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

describe('initTfjs', () => {
  it('picks the first engine that loads and says why the others were not used', async () => {
    const lines: string[] = [];
    const rt = await initTfjs({ env: {}, log: (m) => lines.push(m) });
    expect(rt.engine).toBe(tfjsNodeInstalled ? 'tfjs-node' : 'tfjs-wasm');
    expect(rt.tf.getBackend()).toBe(rt.backendName);
    expect(rt.reasons[rt.engine]).toBe('selected');
    if (!tfjsNodeInstalled) {
      expect(rt.reasons['tfjs-node']).toMatch(/Cannot find module/);
      expect(rt.reasons['tfjs-cpu']).toMatch(/not tried/);
      expect(lines.join('\n')).toMatch(/tfjs-wasm \(SIMD|tfjs-wasm \(no SIMD/);
      expect(lines.join('\n')).toContain('unavailable: tfjs-node');
    }
    expect(rt.orderSource).toBe('default');
    expect(hasCoreGradients()).toBe(true);
  });

  it('follows the prefer option, installs the faster cpu filter gradients, and switches back', async () => {
    const cpu = await initTfjs({ prefer: ['cpu'], env: { METACOMPRESS_TFJS_BACKEND: 'wasm' } });
    expect(cpu.engine).toBe('tfjs-cpu');
    expect(cpu.tf.getBackend()).toBe('cpu');
    expect(cpu.orderSource).toBe('option');
    expect(cpu.kernels).toContain('Conv2DBackpropFilter');
    expect(cpu.kernels).not.toContain('DepthwiseConv2dNativeBackpropInput');
    const wasm = await initTfjs({ prefer: ['wasm'] });
    expect(wasm.tf.getBackend()).toBe('wasm');
    expect(wasm.kernels).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
        'UnsortedSegmentSum',
      ]),
    );
  });

  it('follows METACOMPRESS_TFJS_BACKEND and reports through a progress reporter', async () => {
    const events: ProgressEvent[] = [];
    const rt = await initTfjs({
      env: { METACOMPRESS_TFJS_BACKEND: 'cpu' },
      log: { emit: (e) => events.push(e) },
    });
    expect(rt.engine).toBe('tfjs-cpu');
    expect(rt.orderSource).toBe('env');
    expect(rt.reasons['tfjs-wasm']).toBe('not in METACOMPRESS_TFJS_BACKEND=cpu');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'log', level: 'info', source: 'backend-tfjs' });
    expect((events[0] as { message: string }).message).toContain('METACOMPRESS_TFJS_BACKEND');
  });

  it('throws MC_NO_BACKEND listing every reason when nothing initializes', async () => {
    if (tfjsNodeInstalled) return;
    const error = await initTfjs({ prefer: ['tfjs-node'] }).catch((e: unknown) => e);
    expect(isMetacompressError(error) && error.code).toBe('MC_NO_BACKEND');
    expect(String(error)).toContain('tfjs-node: Cannot find module');
  });

  it('rejects a bad METACOMPRESS_TFJS_BACKEND', async () => {
    const error = await initTfjs({ env: { METACOMPRESS_TFJS_BACKEND: 'webgpu' } }).catch((e: unknown) => e);
    expect(isMetacompressError(error) && error.code).toBe('MC_INVALID_ARGUMENT');
  });

  it('finds the wasm binaries through module resolution', () => {
    const paths = locateWasmFiles();
    expect(paths && Object.keys(paths).sort()).toEqual([
      'tfjs-backend-wasm-simd.wasm',
      'tfjs-backend-wasm-threaded-simd.wasm',
      'tfjs-backend-wasm.wasm',
    ]);
    expect(paths!['tfjs-backend-wasm-simd.wasm']).toMatch(
      /tfjs-backend-wasm[\\/]dist[\\/]tfjs-backend-wasm-simd\.wasm$/,
    );
  });
});

describe('registerTfjsBackends', () => {
  it('registers three differentiable backends by priority; resolution honours the env variable', async () => {
    const registry = new BackendRegistry();
    registerTfjsBackends({ registry, env: {} });
    expect(registry.list('differentiable').map((r) => [r.name, r.priority])).toEqual([
      ['tfjs-node', 30],
      ['tfjs-wasm', 20],
      ['tfjs-cpu', 10],
    ]);
    const backend = await registry.resolve<TfjsDifferentiableBackend>('differentiable');
    expect(backend.name).toBe(tfjsNodeInstalled ? 'tfjs-node' : 'tfjs-wasm');
    expect(backend.engine).toBe(backend.name);

    const forced = new BackendRegistry();
    registerTfjsBackends({ registry: forced, env: { METACOMPRESS_TFJS_BACKEND: 'cpu' } });
    const cpu = await forced.resolve<TfjsDifferentiableBackend>('differentiable');
    expect(cpu.engine).toBe('tfjs-cpu');
    expect(cpu.runtime.reasons['tfjs-cpu']).toBe('selected');
  });

  it('plugs in a graph executor and activates its engine before each call', async () => {
    const registry = new BackendRegistry();
    const seen: string[] = [];
    registerTfjsBackends({
      registry,
      env: { METACOMPRESS_TFJS_BACKEND: 'wasm' },
      executor: {
        weightGradients: async (rt) => {
          seen.push(rt.tf.getBackend());
          return new Map([['w', new Float32Array([1])]]);
        },
        evaluate: async () => ({ accuracy: 1, samples: 0 }),
      },
    });
    const backend = await registry.resolve<TfjsDifferentiableBackend>('differentiable');
    await backend.runtime.tf.setBackend('cpu');
    const grads = await backend.weightGradients({} as never, []);
    expect(seen).toEqual(['wasm']);
    expect(grads.get('w')).toEqual(new Float32Array([1]));
  });

  it('uses the IR executor by default; with `executor: null` the graph methods fail with a typed error', async () => {
    const registry = new BackendRegistry();
    registerTfjsBackends({ registry, env: { METACOMPRESS_TFJS_BACKEND: 'wasm' } });
    const backend = await registry.resolve<TfjsDifferentiableBackend>('differentiable');
    const graph = await loadOnnx(join(import.meta.dirname, '../../../../fixtures/models/lenet300.onnx'));
    const x = new Float32Array(8 * 784).map((_, i) => ((i * 37) % 101) / 101);
    const labels = Int32Array.from({ length: 8 }, (_, i) => i % 10);
    const data: Dataset = {
      name: 'eight',
      length: 8,
      sampleShape: [784],
      numClasses: 10,
      *batches() {
        yield { inputs: { dims: [8, 784], data: x }, labels };
      },
    };
    const result = await backend.evaluate(graph, data);
    expect(result.samples).toBe(8);
    expect(Number.isFinite(result.loss)).toBe(true);
    const grads = await backend.weightGradients(graph, data.batches(8));
    expect(grads.size).toBeGreaterThan(0);
    expect([...grads.values()].some((g) => g.some((v) => v !== 0))).toBe(true);

    const bare = new BackendRegistry();
    registerTfjsBackends({ registry: bare, env: { METACOMPRESS_TFJS_BACKEND: 'wasm' }, executor: null });
    const engineOnly = await bare.resolve<TfjsDifferentiableBackend>('differentiable');
    for (const call of [
      () => engineOnly.evaluate({} as never, {} as never),
      () => engineOnly.weightGradients({} as never, []),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(isMetacompressError(error) && error.code).toBe('MC_UNSUPPORTED_OP');
    }
  });
});
