import { describe, expect, it } from 'vitest';
import type { Graph } from '../graph';
import { analyzeCoupling } from '../coupling/analyze-coupling';
import { collectConstants } from '../coupling/constants';
import { TestGraph } from '../coupling/test-graphs';
import { runOrt, testInput } from '../coupling/test-ort';
import type { CouplingGroup } from '../coupling/types';
import { toFloat32, withFloat32 } from '../tensor';
import { removeChannels } from './remove-channels';

/**
 * Channels through many ops at once: Pad, Resize (literal sizes), AveragePool, Slice, a
 * squeeze-excitation gate (GAP → 1×1 → ReLU → 1×1 → Sigmoid → Mul), InstanceNormalization,
 * Unsqueeze/Squeeze, Transpose + LayerNormalization over channels, ConvTranspose, Expand (literal
 * shape), Tile, ReduceMean over W, Flatten of [N, C, 16] into Gemm (transB = 0).
 */
function zooGraph(): Graph {
  const g = new TestGraph(17);
  const x = g.input('input', [2, 3, 8, 8]);
  const a = g.conv(x, 3, 8, 'convA');
  const a1 = g.op('Pad', [a, g.ints('pads', [0, 0, 1, 1, 0, 0, 1, 1])], {}, 'pad');
  const a2 = g.op('Resize', [a1, '', '', g.ints('sizes', [2, 8, 20, 20])], { mode: 'nearest' }, 'resize');
  const a3 = g.op('AveragePool', [a2], { kernel_shape: [2, 2], strides: [2, 2] }, 'avg');
  const a4 = g.op(
    'Slice',
    [a3, g.ints('starts', [1]), g.ints('ends', [9]), g.ints('axes', [2])],
    {},
    'slice',
  );
  const s = g.op('GlobalAveragePool', [a4], {}, 'se_gap');
  const s1 = g.relu(g.conv(s, 8, 2, 'se_down', { k: 1 }), 'se_relu');
  const s2 = g.op('Sigmoid', [g.conv(s1, 2, 8, 'se_up', { k: 1 })], {}, 'se_gate');
  const a5 = g.op('Mul', [a4, s2], {}, 'se_mul');
  const b = g.conv(a5, 8, 6, 'convB');
  const b1 = g.op('InstanceNormalization', [b, g.init('in.scale', [6]), g.init('in.bias', [6])], {}, 'inorm');
  const b2 = g.op('Unsqueeze', [b1, g.ints('ax2', [2])], {}, 'unsq');
  const b3 = g.op('Squeeze', [b2, 'ax2'], {}, 'sq');
  const b4 = g.op('Transpose', [b3], { perm: [0, 2, 3, 1] }, 'to_nhwc');
  const b5 = g.op(
    'LayerNormalization',
    [b4, g.init('ln.scale', [6]), g.init('ln.bias', [6])],
    { axis: -1 },
    'ln',
  );
  const b6 = g.op('Transpose', [b5], { perm: [0, 3, 1, 2] }, 'to_nchw');
  const c = g.op(
    'ConvTranspose',
    [b6, g.init('ct.weight', [6, 4, 2, 2]), g.init('ct.bias', [4])],
    { kernel_shape: [2, 2], strides: [2, 2] },
    'ct',
  );
  const c1 = g.op('Expand', [c, g.ints('expand_to', [2, 4, 16, 20])], {}, 'expand');
  const c2 = g.op('Tile', [c1, g.ints('repeats', [1, 1, 1, 2])], {}, 'tile');
  const c3 = g.op('ReduceMean', [c2], { axes: [3], keepdims: 0 }, 'mean_w');
  const c4 = g.op('Flatten', [c3], { axis: 1 }, 'flatten');
  g.node('Gemm', [c4, g.init('fc.weight', [64, 5])], {}, 'fc', ['logits']);
  g.output('logits', [2, 5]);
  return g.build();
}

function zeroRemovedInputs(graph: Graph, groups: CouplingGroup[], keep: Map<string, number[]>): Graph {
  const constants = collectConstants(graph);
  const edits = new Map<string, Float32Array>();
  for (const g of groups) {
    const kept = keep.get(g.id);
    if (!kept) continue;
    for (const s of g.slices.filter((x) => x.role === 'input')) {
      const t = constants.get(s.tensor)!.tensor;
      const data = edits.get(s.tensor) ?? Float32Array.from(toFloat32(t));
      edits.set(s.tensor, data);
      let inner = 1;
      for (let i = s.axis + 1; i < t.dims.length; i++) inner *= t.dims[i];
      let outer = 1;
      for (let i = 0; i < s.axis; i++) outer *= t.dims[i];
      for (let j = 0; j < g.channels; j++) {
        if (kept.includes(j)) continue;
        for (let o = 0; o < outer; o++)
          data.fill(
            0,
            (o * t.dims[s.axis] + s.offset + j * s.stride) * inner,
            (o * t.dims[s.axis] + s.offset + (j + 1) * s.stride) * inner,
          );
      }
    }
  }
  return {
    ...graph,
    initializers: graph.initializers.map((t) =>
      edits.has(t.name) ? withFloat32(t, t.dims, edits.get(t.name)!) : t,
    ),
  };
}

describe('removeChannels through layout, normalization and gating ops', () => {
  it('traces channels through the zoo and reports the expected groups', () => {
    const groups = analyzeCoupling(zooGraph());
    expect(groups.map((g) => [g.id, g.channels, g.prunable])).toEqual([
      ['convA', 8, true],
      ['se_down', 2, true],
      ['convB', 6, true],
      ['ct', 4, true],
      ['fc', 5, false],
    ]);
    const convA = groups[0];
    expect(convA.producers).toEqual(['convA', 'se_up']);
    expect(convA.consumers).toEqual(['se_down', 'convB']);
    const convB = groups[2];
    expect(convB.slices.map((s) => `${s.tensor}:${s.role}`)).toEqual([
      'convB.weight:output',
      'convB.bias:bias',
      'in.scale:bn',
      'in.bias:bn',
      'ln.scale:param',
      'ln.bias:param',
      'ct.weight:input',
    ]);
    const ct = groups[3];
    expect(ct.slices.map((s) => `${s.tensor}@${s.axis}x${s.stride}:${s.role}`)).toEqual([
      'ct.weight@1x1:output',
      'ct.bias@0x1:bias',
      'fc.weight@0x16:input',
    ]);
  });

  it('halving every group runs in onnxruntime-web; without the LayerNorm group it equals the zero-masked original', async () => {
    const graph = zooGraph();
    const groups = analyzeCoupling(graph);
    const odd = (c: number) => [...Array(c).keys()].filter((i) => i % 2 === 1);
    const all = new Map(groups.filter((g) => g.prunable).map((g) => [g.id, odd(g.channels)]));
    const input = testInput([2, 3, 8, 8]);
    const pruned = removeChannels(graph, all);
    const sizes = collectConstants(pruned).get(
      pruned.nodes.find((n) => n.name === 'resize')!.inputs[3],
    )!.tensor;
    expect(Array.from(toFloat32(sizes))).toEqual([2, 4, 20, 20]);
    const expandTo = collectConstants(pruned).get(
      pruned.nodes.find((n) => n.name === 'expand')!.inputs[1],
    )!.tensor;
    expect(Array.from(toFloat32(expandTo))).toEqual([2, 2, 16, 20]);
    expect((await runOrt(pruned, { input })).logits.dims).toEqual([2, 5]);

    // LayerNormalization over channels changes with the channel count; the others are exact.
    const keep = new Map([...all].filter(([id]) => id !== 'convB'));
    const [got, want] = await Promise.all([
      runOrt(removeChannels(graph, keep), { input }),
      runOrt(zeroRemovedInputs(graph, groups, keep), { input }),
    ]);
    let diff = 0;
    for (let i = 0; i < got.logits.data.length; i++)
      diff = Math.max(diff, Math.abs(got.logits.data[i] - want.logits.data[i]));
    expect(diff).toBeLessThan(1e-4);
  });

  it('a torch-style flatten (Reshape to [Shape(x)[0], -1]) is accepted without a literal to rewrite', async () => {
    const g = new TestGraph(13);
    const x = g.input('input', ['N', 3, 4, 4]);
    const a = g.relu(g.conv(x, 3, 6, 'convA'));
    const shp = g.op('Shape', [a], {}, 'shape');
    const n = g.op('Gather', [shp, g.ints('zero', [0])], { axis: 0 }, 'gather');
    const target = g.op('Concat', [n, g.ints('minus_one', [-1])], { axis: 0 }, 'target');
    const flat = g.op('Reshape', [a, target], {}, 'flat');
    g.node('Gemm', [flat, g.init('fc.weight', [3, 96])], { transB: 1 }, 'fc', ['out']);
    g.output('out', ['N', 3]);
    const graph = g.build();
    const convA = analyzeCoupling(graph).find((x) => x.id === 'convA')!;
    expect(convA.prunable).toBe(true);
    expect(convA.slices.at(-1)).toMatchObject({ tensor: 'fc.weight', axis: 1, stride: 16, role: 'input' });
    const pruned = removeChannels(graph, { convA: [0, 5] });
    expect((await runOrt(pruned, { input: testInput([1, 3, 4, 4]) })).out.dims).toEqual([1, 3]);
  });

  it('Concat (with an untracked graph input in the middle) and Split (opset 11 attribute, opset 18 num_outputs) prune and run', async () => {
    const input = testInput([2, 3, 6, 6]);
    // Concat: convA (4) | input (3) | convB (6) -> convC
    const g = new TestGraph(13);
    const x = g.input('input', ['N', 3, 6, 6]);
    const a = g.relu(g.conv(x, 3, 4, 'convA'), 'reluA');
    const b = g.relu(g.conv(x, 3, 6, 'convB'), 'reluB');
    const cat = g.op('Concat', [a, x, b], { axis: 1 }, 'cat');
    g.node('Conv', [cat, g.init('convC.weight', [5, 13, 1, 1])], { kernel_shape: [1, 1] }, 'convC', ['out']);
    g.output('out', ['N', 5, 6, 6]);
    const concat = g.build();
    const groups = analyzeCoupling(concat);
    const keep = new Map([
      ['convA', [1, 3]],
      ['convB', [0, 2, 5]],
    ]);
    const pruned = removeChannels(concat, keep);
    expect(pruned.initializers.find((t) => t.name === 'convC.weight')!.dims).toEqual([5, 8, 1, 1]);
    const [got, want] = await Promise.all([
      runOrt(pruned, { input }),
      runOrt(zeroRemovedInputs(concat, groups, keep), { input }),
    ]);
    expect(got.out.dims).toEqual([2, 5, 6, 6]);
    let diff = 0;
    for (let i = 0; i < got.out.data.length; i++)
      diff = Math.max(diff, Math.abs(got.out.data[i] - want.out.data[i]));
    expect(diff).toBeLessThan(1e-4);

    for (const opset of [11, 18]) {
      const s = new TestGraph(opset);
      const y = s.input('input', ['N', 3, 6, 6]);
      const c = s.relu(s.conv(y, 3, 8, 'convA'), 'reluA');
      const attrs: Record<string, number | number[]> =
        opset === 11 ? { axis: 1, split: [4, 4] } : { axis: 1, num_outputs: 2 };
      const [p0, p1] = s.node('Split', [c], attrs, 'split', 2);
      const sum = s.op(
        'Add',
        [s.conv(p0, 4, 3, 'convB', { k: 1 }), s.conv(p1, 4, 3, 'convC', { k: 1 })],
        {},
        'sum',
      );
      s.node('Relu', [sum], {}, 'final', ['out']);
      s.output('out', ['N', 3, 6, 6]);
      const split = s.build();
      expect(analyzeCoupling(split).map((grp) => grp.id)).toEqual(['convA[0:4]', 'convA[4:8]', 'convB']);
      const out = removeChannels(split, { 'convA[0:4]': [0], 'convA[4:8]': [1, 2, 3] });
      const node = out.nodes.find((n) => n.name === 'split')!;
      if (opset === 11) expect(node.attributes.split).toEqual({ type: 'ints', value: [1, 3] });
      else {
        expect(node.attributes.num_outputs).toBeUndefined();
        expect(Array.from(toFloat32(collectConstants(out).get(node.inputs[1])!.tensor))).toEqual([1, 3]);
      }
      expect((await runOrt(out, { input })).out.dims).toEqual([2, 3, 6, 6]);
    }
  });
});
