import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import { createTensor, toFloat32 } from '../tensor';
import { analyzeCoupling } from './analyze-coupling';
import { channelVectors, readGroupWeights } from './group-weights';
import { vggBnGraph } from './test-graphs';

describe('channelVectors / readGroupWeights', () => {
  it('splits a slice into per-channel vectors (row-major over the other axes, stride blocks)', () => {
    const t = createTensor(
      'w',
      DataType.FLOAT,
      [2, 6],
      Float32Array.from({ length: 12 }, (_, i) => i),
    );
    // axis 1, channels of 2 consecutive features starting at element 2
    const v = channelVectors(t, { axis: 1, offset: 2, length: 2, stride: 2 });
    expect(v.map((x) => Array.from(x))).toEqual([
      [2, 3, 8, 9],
      [4, 5, 10, 11],
    ]);
    expect(() => channelVectors(t, { axis: 1, offset: 2, length: 3, stride: 2 })).toThrow('outside tensor');
  });

  it('reads every slice of a group, one vector per channel', () => {
    const graph = vggBnGraph();
    const group = analyzeCoupling(graph).find((g) => g.id === 'conv3')!;
    const read = readGroupWeights(graph, group);
    expect(read.map((r) => [r.slice.tensor, r.channels.length, r.channels[0].length])).toEqual([
      ['conv3.weight', 16, 8 * 9],
      ['conv3.bias', 16, 1],
      ['bn3.scale', 16, 1],
      ['bn3.bias', 16, 1],
      ['bn3.mean', 16, 1],
      ['bn3.var', 16, 1],
      ['fc1.weight', 16, 32 * 4],
    ]);
    const w = toFloat32(graph.initializers.find((t) => t.name === 'conv3.weight')!);
    expect(Array.from(read[0].channels[5])).toEqual(Array.from(w.subarray(5 * 72, 6 * 72)));
    const fc = toFloat32(graph.initializers.find((t) => t.name === 'fc1.weight')!); // [32, 64]
    expect(Array.from(read[6].channels[3].subarray(0, 4))).toEqual(Array.from(fc.subarray(12, 16)));
    expect(read[6].channels[3][4]).toBe(fc[64 + 12]);
  });
});
