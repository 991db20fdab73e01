import { describe, expect, it } from 'vitest';
import { calibrate, calibrationInput } from './calibrate';
import { arrayDataset, mlpGraph, rejectionOf, thrownBy, webBackend } from './test-helpers';

describe('calibrate', () => {
  it('observes inputs, intermediate values and outputs over the batches', async () => {
    const g = mlpGraph({ inDim: 4, hidden: 8 });
    const inputs = Float32Array.from({ length: 40 }, (_, i) => (i % 7) - 3);
    const data = arrayDataset(inputs, [4], new Int32Array(10));
    const done: number[] = [];
    const obs = await calibrate(g, await webBackend(), data, ['input', 'h_relu', 'logits'], {
      batchSize: 4,
      onProgress: (d) => done.push(d),
    });
    expect(done).toEqual([4, 8, 10]);
    const r = obs.get('input')!.range({ dataType: 'uint8' });
    expect([r.min[0], r.max[0]]).toEqual([-3, 3]);
    expect(obs.get('input')!.count).toBe(40);
    expect(obs.get('h_relu')!.range({ dataType: 'uint8' }).min[0]).toBe(0);
    expect(obs.get('logits')!.count).toBe(40);
  });

  it('limits the samples and refuses empty or missing data', async () => {
    const g = mlpGraph({ inDim: 4 });
    const web = await webBackend();
    const data = arrayDataset(new Float32Array(400), [4], new Int32Array(100));
    const obs = await calibrate(g, web, data, ['input'], { limit: 10, batchSize: 3 });
    expect(obs.get('input')!.count).toBe(40); // batches of 3, 3, 3 and 1 samples of 4 values
    expect(
      (
        await rejectionOf(
          calibrate(g, web, arrayDataset(new Float32Array(0), [4], new Int32Array(0)), ['input']),
        )
      ).code,
    ).toBe('MC_EMPTY_DATASET');
    expect((await rejectionOf(calibrate(g, web, undefined, ['input']))).code).toBe('MC_EMPTY_DATASET');
  });

  it('names the one input to feed', () => {
    expect(calibrationInput(mlpGraph())).toBe('input');
    const two = { ...mlpGraph(), inputs: [...mlpGraph().inputs, { name: 'mask' }] };
    expect(thrownBy(() => calibrationInput(two)).code).toBe('MC_INVALID_ARGUMENT');
  });
});
