import { registerTfjsBackends } from '@metacompress/backend-tfjs/base';
import {
  BackendRegistry,
  compress,
  identityPolicy,
  isMetacompressError,
  type ProgressEvent,
} from '@metacompress/core';
import { describe, expect, it } from 'vitest';
import { distill } from './distill-operator';
import { blobs, mlpGraph, weightsOf } from './test-model';

const registry = new BackendRegistry();
registerTfjsBackends({ registry, env: { METACOMPRESS_TFJS_BACKEND: 'wasm' } });
const train = blobs(512, 12, 4, 1, 'train');
const validation = blobs(256, 12, 4, 1, 'val', 1);
const policy = identityPolicy({ metric: 'macs', ratio: 1 });

describe('distill operator', () => {
  it('fine-tunes the pipeline graph from the original, reports and emits progress', async () => {
    // "compression" step: replace the model by a narrow random student of the same output shape
    const original = (await compress(mlpGraph([12, 32, 4], 5), [], { policy })).graph;
    const events: ProgressEvent[] = [];
    const swap = {
      kind: 'metacompress-operator',
      name: 'swap',
      description: '',
      options: {},
      parseOptions: () => ({}),
      apply: async () => ({ graph: mlpGraph([12, 8, 4], 9) }),
      with: () => {
        throw new Error('unused');
      },
    } as never;
    const result = await compress(original, [swap, distill.with({ steps: 40, lr: 0.01, teacher: 'none' })], {
      policy,
      backends: registry,
      data: { train, validation },
      progress: { emit: (e) => events.push(e) },
    });
    const report = result.steps[1]!.report!;
    expect(report).toMatchObject({ engine: 'tfjs-wasm', teacher: 'none', steps: 40, totalSteps: 40 });
    expect(report.valAccuracyBest as number).toBeGreaterThan((report.valAccuracyBefore as number) + 0.2);
    expect(
      events.some((e) => e.type === 'advance' && e.task === 'distill' && typeof e.metrics?.loss === 'number'),
    ).toBe(true);
    expect(Object.isFrozen(result.graph)).toBe(true);
  });

  it('distills from ctx.original with defaults, deterministic for the pipeline seed', async () => {
    const teacherRun = await compress(
      mlpGraph([12, 32, 4], 5),
      [distill.with({ steps: 40, lr: 0.01, teacher: 'none' })],
      {
        policy,
        backends: registry,
        data: { train },
      },
    );
    const teacher = teacherRun.graph;
    const run = () =>
      compress(teacher, [distill.with({ steps: 10, hints: 'auto' })], {
        policy,
        backends: registry,
        data: { train },
        seed: 3,
      });
    const [a, b] = [await run(), await run()];
    expect(weightsOf(a.graph)).toEqual(weightsOf(b.graph));
    expect(a.steps[0]!.report).toMatchObject({ teacher: 'original', steps: 10, hints: ['relu0_out'] });
  });

  it('typed errors: no training data, zero budget, unknown option', async () => {
    const g = mlpGraph([12, 8, 4], 9);
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        return isMetacompressError(e)
          ? `${e.code} ${String(e.details.field)} ${String(e.details.operator)}`
          : String(e);
      }
      return 'no error';
    };
    expect(await code(compress(g, [distill], { policy, backends: registry }))).toBe(
      'MC_EMPTY_DATASET data.train distill',
    );
    expect(
      await code(compress(g, [distill.with({ steps: 0 })], { policy, backends: registry, data: { train } })),
    ).toBe('MC_INVALID_ARGUMENT distill.options.steps distill');
    expect(
      await code(compress(g, [[distill, { stepz: 3 }]], { policy, backends: registry, data: { train } })),
    ).toBe('MC_INVALID_ARGUMENT distill.options.stepz distill');
  });
});
