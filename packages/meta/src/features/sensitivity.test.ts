import { toFloat32 } from '@metacompress/ir';
import { describe, expect, it } from 'vitest';
import { labelledBy, mlpEvaluator, plantedMlp, randomDataset } from '../test-graphs';
import { measureSensitivity } from './sensitivity';

describe('measureSensitivity', () => {
  const graph = plantedMlp();
  const data = labelledBy(graph, randomDataset([6], 3, 48));

  it('is zero for a group whose lowest-L1 half is dead, positive for a dense one (labels the model predicts)', async () => {
    const backend = mlpEvaluator();
    const progress: number[] = [];
    const s = await measureSensitivity(graph, {
      backend,
      data,
      batches: 2,
      batchSize: 16,
      onProgress: (d) => progress.push(d),
    });
    expect([...s.keys()]).toEqual(['fc1', 'fc2']);
    expect(s.get('fc1')).toBe(0);
    expect(s.get('fc2')).toBeGreaterThan(0);
    expect(progress).toEqual([1, 2]);
    // The unpruned graph first, then each group pruned alone to half.
    expect(backend.seen.length).toBe(3);
    const weight = (i: number, name: string) => backend.seen[i].initializers.find((t) => t.name === name)!;
    expect(weight(1, 'fc1.weight').dims).toEqual([4, 6]);
    expect(weight(1, 'fc2.weight').dims).toEqual([8, 4]);
    expect(weight(2, 'fc1.weight').dims).toEqual([8, 6]);
    expect(weight(2, 'fc2.weight').dims).toEqual([4, 8]);
    // fc1 kept its live channels 4–7 (L1 ordering).
    expect(Array.from(toFloat32(weight(1, 'fc1.weight')))).toEqual(
      Array.from(toFloat32(graph.initializers.find((t) => t.name === 'fc1.weight')!).subarray(24)),
    );
  });

  it('measures at another ratio, on a subset of groups, and validates its inputs', async () => {
    const backend = mlpEvaluator();
    const s = await measureSensitivity(graph, {
      backend,
      data,
      ratio: 0.25,
      groups: ['fc2'],
      batches: 1,
      batchSize: 8,
    });
    expect([...s.keys()]).toEqual(['fc2']);
    expect(backend.seen[1].initializers.find((t) => t.name === 'fc2.weight')!.dims).toEqual([2, 8]);
    // A ratio that rounds to every channel costs no measurement.
    const none = await measureSensitivity(graph, { backend: mlpEvaluator(), data, ratio: 0.99 });
    expect([...none.values()]).toEqual([0, 0]);
    await expect(
      measureSensitivity(graph, { backend, data: randomDataset([6], 3, 0) }),
    ).rejects.toMatchObject({ code: 'MC_EMPTY_DATASET' });
    await expect(measureSensitivity(graph, { backend, data, ratio: 1 })).rejects.toMatchObject({
      code: 'MC_INVALID_ARGUMENT',
    });
    await expect(measureSensitivity(graph, { backend, data, groups: ['fc3'] })).rejects.toMatchObject({
      code: 'MC_GROUP_UNPRUNABLE',
    });
  });
});
