/**
 * The Taylor criterion on real gradients: backend-tfjs's differentiable executor of the IR,
 * LeNet-5 (PyTorch-exported) on a few MNIST batches.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendRegistry, createRng } from '@metacompress/core';
import { registerTfjsBackends, irGraphExecutor } from '@metacompress/backend-tfjs/base';
import { analyzeCoupling, loadOnnx } from '@metacompress/ir';
import { fitToInput, loadMnist } from '@metacompress/tasks';
import { FIXTURES, scaleAlong } from '../test-graphs';
import { taylorCriterion } from './taylor';

describe('taylorCriterion with backend-tfjs', () => {
  it('scores a dead channel of LeNet-5 (zero filter and bias) 0 and ranks it last', async () => {
    let graph = await loadOnnx(resolve(FIXTURES, 'lenet5.onnx'));
    graph = scaleAlong(graph, 'conv2.weight', 0, 7, 0);
    graph = scaleAlong(graph, 'conv2.bias', 0, 7, 0);
    const group = analyzeCoupling(graph).find((g) => g.id === '/conv2/Conv')!;
    const registry = new BackendRegistry();
    registerTfjsBackends({ registry, executor: irGraphExecutor });
    const data = fitToInput(await loadMnist({ split: 'test' }), ['N', 1, 28, 28]);
    const criterion = taylorCriterion({ batches: 2, batchSize: 16 });
    const scores = (
      await criterion.score(graph, [group], {
        rng: createRng(0),
        backends: registry,
        data: { calibration: data },
      })
    ).get('/conv2/Conv')!;
    expect(scores).toHaveLength(16);
    expect(scores[7]).toBe(0);
    expect(scores.indexOf(Math.min(...scores))).toBe(7);
    expect([...scores].filter((s, j) => j !== 7 && s > 0).length).toBeGreaterThan(10);
  });
});
