import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import { createTensor } from '../tensor';
import { analyzeCoupling } from './analyze-coupling';
import { registerChannelRule } from './channel-rule';
import { mlpGraph, mobilenetV2Graph, resnetBlockGraph, TestGraph, vggBnGraph } from './test-graphs';
import type { CouplingGroup } from './types';

/** Compact description of a slice: tensor@axis[offset]xstride:role. */
const slices = (g: CouplingGroup): string[] =>
  g.slices.map((s) => `${s.tensor}@${s.axis}[${s.offset}]x${s.stride}:${s.role}`);
const bn = (name: string): string[] => ['scale', 'bias', 'mean', 'var'].map((p) => `${name}.${p}@0[0]x1:bn`);
const byId = (groups: CouplingGroup[], id: string): CouplingGroup => {
  const g = groups.find((x) => x.id === id);
  if (!g) throw new Error(`no group ${id} in ${groups.map((x) => x.id).join(', ')}`);
  return g;
};

describe('analyzeCoupling on reference architectures', () => {
  it('ResNet-style: the residual stage with its 1×1 shortcut is one group each', () => {
    const groups = analyzeCoupling(resnetBlockGraph());
    expect(groups.map((g) => [g.id, g.channels, g.prunable])).toEqual([
      ['stem', 8, true],
      ['b1_conv1', 8, true],
      ['b2_conv1', 16, true],
      ['b2_conv2', 16, true],
      ['fc', 10, false],
    ]);
    const stage1 = byId(groups, 'stem');
    expect(stage1.producers).toEqual(['stem', 'b1_conv2']);
    expect(stage1.consumers).toEqual(['b1_conv1', 'b2_conv1', 'b2_down']);
    expect(slices(stage1)).toEqual([
      'stem.weight@0[0]x1:output',
      ...bn('stem_bn'),
      'b1_conv1.weight@1[0]x1:input',
      'b1_conv2.weight@0[0]x1:output',
      ...bn('b1_bn2'),
      'b2_conv1.weight@1[0]x1:input',
      'b2_down.weight@1[0]x1:input',
    ]);
    expect(stage1.activations.map((a) => a.value)).toEqual([
      'stem_out',
      'stem_bn_out',
      'stem_relu_out',
      'b1_conv2_out',
      'b1_bn2_out',
      'b1_add_out',
      'b1_relu2_out',
    ]);
    const stage2 = byId(groups, 'b2_conv2');
    expect(stage2.producers).toEqual(['b2_conv2', 'b2_down']);
    expect(slices(stage2)).toEqual([
      'b2_conv2.weight@0[0]x1:output',
      ...bn('b2_bn2'),
      'b2_down.weight@0[0]x1:output',
      ...bn('b2_down_bn'),
      'fc.weight@1[0]x1:input',
    ]);
    expect(slices(byId(groups, 'b1_conv1'))).toEqual([
      'b1_conv1.weight@0[0]x1:output',
      ...bn('b1_bn1'),
      'b1_conv2.weight@1[0]x1:input',
    ]);
    const fc = byId(groups, 'fc');
    expect(fc.reason).toContain("fc: output 'logits' is a graph output");
    expect(groups.every((g) => g.minChannels === 1 && g.slices.every((s) => s.length === g.channels))).toBe(
      true,
    );
  });

  it('VGG-BN: Flatten→Gemm maps each channel to H×W consecutive features', () => {
    const groups = analyzeCoupling(vggBnGraph());
    expect(groups.map((g) => [g.id, g.channels, g.prunable])).toEqual([
      ['conv1', 8, true],
      ['conv2', 8, true],
      ['conv3', 16, true],
      ['fc1', 32, true],
      ['fc2', 10, false],
    ]);
    expect(slices(byId(groups, 'conv3'))).toEqual([
      'conv3.weight@0[0]x1:output',
      'conv3.bias@0[0]x1:bias',
      ...bn('bn3'),
      'fc1.weight@1[0]x4:input',
    ]);
    expect(slices(byId(groups, 'fc1'))).toEqual([
      'fc1.weight@0[0]x1:output',
      'fc1.bias@0[0]x1:bias',
      'fc2.weight@1[0]x1:input',
    ]);
    const act = byId(groups, 'conv3').activations.find((a) => a.value === 'flatten_out');
    expect(act).toEqual({ value: 'flatten_out', axis: 1, offset: 0, length: 16, stride: 4 });
  });

  it('MobileNetV2: the depthwise conv follows its expand group; the residual merges stem and project', () => {
    const groups = analyzeCoupling(mobilenetV2Graph());
    expect(groups.map((g) => [g.id, g.channels, g.prunable])).toEqual([
      ['stem', 8, true],
      ['expand', 24, true],
      ['head', 16, true],
      ['fc', 10, false],
    ]);
    const expand = byId(groups, 'expand');
    expect(expand.producers).toEqual(['expand']);
    expect(expand.nodes).toContain('dw');
    expect(slices(expand)).toEqual([
      'expand.weight@0[0]x1:output',
      ...bn('expand_bn'),
      'dw.weight@0[0]x1:output',
      ...bn('dw_bn'),
      'project.weight@1[0]x1:input',
    ]);
    const stem = byId(groups, 'stem');
    expect(stem.producers).toEqual(['stem', 'project']);
    expect(stem.consumers).toEqual(['expand', 'head']);
    // Clip's scalar bounds are not sliced.
    expect(groups.flatMap((g) => g.slices).some((s) => s.tensor.startsWith('clip_'))).toBe(false);
  });

  it('MLP: every hidden layer is a group, the logits are not prunable', () => {
    const groups = analyzeCoupling(mlpGraph());
    expect(groups.map((g) => [g.id, g.channels, g.prunable, slices(g)])).toEqual([
      ['fc1', 16, true, ['fc1.weight@0[0]x1:output', 'fc1.bias@0[0]x1:bias', 'fc2.weight@1[0]x1:input']],
      ['fc2', 12, true, ['fc2.weight@0[0]x1:output', 'fc2.bias@0[0]x1:bias', 'fc3.weight@1[0]x1:input']],
      ['fc3', 4, false, ['fc3.weight@0[0]x1:output', 'fc3.bias@0[0]x1:bias']],
    ]);
  });
});

/** conv A (4) and conv B (6) concatenated along channels into conv C. */
function concatGraph(withInput = false) {
  const g = new TestGraph();
  const x = g.input('input', ['N', 3, 6, 6]);
  const a = g.relu(g.conv(x, 3, 4, 'convA'), 'reluA');
  const b = g.relu(g.conv(x, 3, 6, 'convB'), 'reluB');
  const parts = withInput ? [a, x, b] : [a, b];
  const cin = withInput ? 13 : 10;
  const cat = g.op('Concat', parts, { axis: 1 }, 'cat');
  g.node(
    'Conv',
    [cat, g.init('convC.weight', [5, cin, 1, 1]), g.init('convC.bias', [5])],
    { kernel_shape: [1, 1] },
    'convC',
    ['out'],
  );
  g.output('out', ['N', 5, 6, 6]);
  return g.build();
}

/** conv A (8) split along channels [4, 4] into conv B and conv C (or equal split without sizes). */
function splitGraph(sizes: number[] | undefined = [4, 4]) {
  const g = new TestGraph();
  const x = g.input('input', ['N', 3, 6, 6]);
  const a = g.relu(g.conv(x, 3, 8, 'convA'), 'reluA');
  const [s0, s1] = g.node('Split', sizes ? [a, g.ints('split_sizes', sizes)] : [a], { axis: 1 }, 'split', 2);
  const b = g.conv(g.relu(s0, 'relu0'), 4, 3, 'convB', { k: 1 });
  const c = g.conv(s1, 4, 3, 'convC', { k: 1 });
  g.node('Add', [b, c], {}, 'sum', ['out']);
  g.output('out', ['N', 3, 6, 6]);
  return g.build();
}

describe('Concat and Split', () => {
  it('Concat along channels: each input group owns its offset in the consumer', () => {
    const groups = analyzeCoupling(concatGraph());
    expect(groups.map((g) => [g.id, g.channels, g.prunable, slices(g)])).toEqual([
      [
        'convA',
        4,
        true,
        ['convA.weight@0[0]x1:output', 'convA.bias@0[0]x1:bias', 'convC.weight@1[0]x1:input'],
      ],
      [
        'convB',
        6,
        true,
        ['convB.weight@0[0]x1:output', 'convB.bias@0[0]x1:bias', 'convC.weight@1[4]x1:input'],
      ],
      ['convC', 5, false, ['convC.weight@0[0]x1:output', 'convC.bias@0[0]x1:bias']],
    ]);
  });

  it('Concat with an untracked graph input keeps the other parts prunable, offsets shifted', () => {
    const groups = analyzeCoupling(concatGraph(true));
    expect(byId(groups, 'convA').prunable).toBe(true);
    expect(slices(byId(groups, 'convB'))).toContain('convC.weight@1[7]x1:input');
    expect(groups.map((g) => g.id)).toEqual(['convA', 'convB', 'convC']);
  });

  it('Split along channels: each part of the producer is its own group', () => {
    const groups = analyzeCoupling(splitGraph());
    expect(groups.map((g) => [g.id, g.channels, g.prunable, slices(g)])).toEqual([
      [
        'convA[0:4]',
        4,
        true,
        ['convA.weight@0[0]x1:output', 'convA.bias@0[0]x1:bias', 'convB.weight@1[0]x1:input'],
      ],
      [
        'convA[4:8]',
        4,
        true,
        ['convA.weight@0[4]x1:output', 'convA.bias@0[4]x1:bias', 'convC.weight@1[0]x1:input'],
      ],
      [
        'convB',
        3,
        false,
        [
          'convB.weight@0[0]x1:output',
          'convB.bias@0[0]x1:bias',
          'convC.weight@0[0]x1:output',
          'convC.bias@0[0]x1:bias',
        ],
      ],
    ]);
    expect(byId(groups, 'convB').reason).toContain("sum: output 'out' is a graph output");
  });

  it('Split with computed sizes blocks the producer', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 6, 6]);
    const a = g.conv(x, 3, 8, 'convA');
    const sizes = g.op('Shape', [x], {}, 'shape'); // any non-constant int64 tensor
    const [s0, s1] = g.node('Split', [a, sizes], { axis: 1 }, 'split', 2);
    g.node('Add', [g.conv(s0, 4, 2, 'convB', { k: 1 }), g.conv(s1, 4, 2, 'convC', { k: 1 })], {}, 'sum', [
      'out',
    ]);
    g.output('out');
    const convA = byId(analyzeCoupling(g.build()), 'convA');
    expect(convA.prunable).toBe(false);
    expect(convA.reason).toContain('split: Split sizes are computed');
  });
});

describe('what blocks pruning', () => {
  it('a grouped (non-depthwise) conv blocks its input and output groups, naming the node', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 6, 6]);
    const a = g.conv(x, 3, 8, 'convA');
    const b = g.relu(g.conv(a, 8, 8, 'grouped', { group: 2 }), 'relu');
    g.node('Conv', [b, g.init('w', [2, 8, 1, 1])], { kernel_shape: [1, 1] }, 'last', ['out']);
    g.output('out');
    const groups = analyzeCoupling(g.build());
    for (const id of ['convA', 'grouped']) {
      const grp = byId(groups, id);
      expect(grp.prunable).toBe(false);
      expect(grp.reason).toContain('grouped: grouped Conv (group=2)');
    }
  });

  it('an unknown op blocks; a registered rule (or a per-call rule) lets channels through', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 6, 6]);
    const a = g.conv(x, 3, 8, 'convA');
    g.nodes.push({
      name: 'custom',
      opType: 'MySwish',
      domain: 'com.example',
      inputs: [a],
      outputs: ['custom_out'],
      attributes: {},
    });
    g.node('Conv', ['custom_out', g.init('w', [2, 8, 1, 1])], { kernel_shape: [1, 1] }, 'last', ['out']);
    g.output('out');
    const graph = g.build();
    const before = byId(analyzeCoupling(graph), 'convA');
    expect(before.prunable).toBe(false);
    expect(before.reason).toBe('custom: com.example:MySwish does not propagate channels (no channel rule)');

    const undo = registerChannelRule('MySwish', 'unary', 'com.example');
    try {
      const after = byId(analyzeCoupling(graph), 'convA');
      expect(after.prunable).toBe(true);
      expect(after.consumers).toEqual(['last']);
    } finally {
      undo();
    }
    expect(byId(analyzeCoupling(graph), 'convA').prunable).toBe(false);
    expect(
      byId(analyzeCoupling(graph, { rules: { 'com.example:MySwish': 'unary' } }), 'convA').prunable,
    ).toBe(true);
    // A function rule sees the context: here it declares the op opaque.
    const seen: string[] = [];
    const fn = byId(
      analyzeCoupling(graph, {
        rules: {
          'com.example:MySwish': (ctx) => {
            seen.push(ctx.label);
            const v = ctx.input(0);
            if (v) ctx.block(v, 'custom refuses');
          },
        },
      }),
      'convA',
    );
    expect(seen).toEqual(['custom']);
    expect(fn.reason).toBe('custom: custom refuses');
  });

  it('adding a graph input (untracked channels) blocks the group and names the node', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 4, 6, 6]);
    const a = g.conv(x, 4, 4, 'convA');
    const s = g.op('Add', [a, x], {}, 'addin');
    g.node('Conv', [s, g.init('w', [2, 4, 1, 1])], { kernel_shape: [1, 1] }, 'last', ['out']);
    g.output('out');
    const convA = byId(analyzeCoupling(g.build()), 'convA');
    expect(convA.prunable).toBe(false);
    expect(convA.reason).toContain("addin: input 1 ('input')");
  });

  it('a Reshape that splits the channel axis is unprovable; a flattening Reshape with a literal is fine', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 4, 4]);
    const a = g.conv(x, 3, 8, 'convA');
    const r = g.op('Reshape', [a, g.ints('shape', [0, 2, 4, 4, 4])], {}, 'split_heads');
    g.node('ReduceMean', [r], { axes: [2], keepdims: 0 }, 'mean', ['out']);
    g.output('out');
    const convA = byId(analyzeCoupling(g.build()), 'convA');
    expect(convA.prunable).toBe(false);
    expect(convA.reason).toContain('split_heads: Reshape to [0, 2, 4, 4, 4] cannot be proven');

    const h = new TestGraph();
    const y = h.input('input', [2, 3, 4, 4]);
    const b = h.relu(h.conv(y, 3, 8, 'convA'));
    const flat = h.op('Reshape', [b, h.ints('shape', [-1, 128])], {}, 'flat');
    h.node('Gemm', [flat, h.init('fc.weight', [5, 128])], { transB: 1 }, 'fc', ['out']);
    h.output('out');
    const ok = byId(analyzeCoupling(h.build()), 'convA');
    expect(ok.prunable).toBe(true);
    expect(slices(ok)).toContain('fc.weight@1[0]x16:input');
  });
});

describe('parameters that follow channels', () => {
  it('PRelu slopes and Mul/Add constants per channel are param slices; scalars are not', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 4, 4]);
    const a = g.conv(x, 3, 6, 'convA');
    const p = g.op('PRelu', [a, g.init('slope', [6, 1, 1])], {}, 'prelu');
    const m = g.op('Mul', [p, g.init('gain', [1, 6, 1, 1])], {}, 'gain');
    const s = g.op('Add', [m, g.init('one', [1], [1])], {}, 'shift');
    g.node('Conv', [s, g.init('w', [2, 6, 1, 1])], { kernel_shape: [1, 1] }, 'last', ['out']);
    g.output('out');
    const convA = byId(analyzeCoupling(g.build()), 'convA');
    expect(convA.prunable).toBe(true);
    expect(slices(convA)).toEqual([
      'convA.weight@0[0]x1:output',
      'convA.bias@0[0]x1:bias',
      'slope@0[0]x1:param',
      'gain@1[0]x1:param',
      'w@1[0]x1:input',
    ]);
  });

  it('per-channel DequantizeLinear weights slice the int8 weight, its scale and zero point', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 4, 4]);
    g.initializers.push(
      createTensor(
        'wq',
        DataType.INT8,
        [4, 3, 1, 1],
        new Int8Array(12).map((_, i) => i - 6),
      ),
    );
    g.initializers.push(createTensor('wq_scale', DataType.FLOAT, [4], [0.1, 0.2, 0.3, 0.4]));
    g.initializers.push(createTensor('wq_zp', DataType.INT8, [4], [0, 0, 0, 0]));
    const w = g.op('DequantizeLinear', ['wq', 'wq_scale', 'wq_zp'], { axis: 0 }, 'dq_w');
    const a = g.op('Conv', [x, w], { kernel_shape: [1, 1] }, 'convA');
    const q = g.op('QuantizeLinear', [a, g.init('act_scale', [], [0.05]), 'act_zp'], {}, 'q_act');
    g.initializers.push(createTensor('act_zp', DataType.UINT8, [], [128]));
    const dq = g.op('DequantizeLinear', [q, 'act_scale', 'act_zp'], {}, 'dq_act');
    g.node('Conv', [dq, g.init('w2', [2, 4, 1, 1])], { kernel_shape: [1, 1] }, 'last', ['out']);
    g.output('out');
    const convA = byId(analyzeCoupling(g.build()), 'convA');
    expect(convA.prunable).toBe(true);
    expect(slices(convA)).toEqual([
      'wq@0[0]x1:output',
      'wq_scale@0[0]x1:qparam',
      'wq_zp@0[0]x1:qparam',
      'w2@1[0]x1:input',
    ]);
  });

  it('one weight read by two convs couples their channels (shared parameters)', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 4, 4]);
    const y = g.input('other', ['N', 3, 4, 4]);
    const w = g.init('shared.weight', [4, 3, 1, 1]);
    const a = g.op('Conv', [x, w], { kernel_shape: [1, 1] }, 'convA');
    const b = g.op('Conv', [y, w], { kernel_shape: [1, 1] }, 'convB');
    const c = g.op('Concat', [a, b], { axis: 1 }, 'cat');
    g.node('Conv', [c, g.init('w2', [2, 8, 1, 1])], { kernel_shape: [1, 1] }, 'last', ['out']);
    g.output('out');
    const groups = analyzeCoupling(g.build());
    const shared = byId(groups, 'convA');
    expect(shared.producers).toEqual(['convA', 'convB']);
    expect(slices(shared)).toEqual(['shared.weight@0[0]x1:output', 'w2@1[0]x1:input', 'w2@1[4]x1:input']);
  });

  it('channels-last: Transpose then MatMul consumes the channels on the weight rows', () => {
    const g = new TestGraph();
    const x = g.input('input', ['N', 3, 4, 4]);
    const a = g.relu(g.conv(x, 3, 6, 'convA'));
    const t = g.op('Transpose', [a], { perm: [0, 2, 3, 1] }, 'nhwc');
    g.node('MatMul', [t, g.init('proj', [6, 5])], {}, 'proj', ['out']);
    g.output('out');
    const convA = byId(analyzeCoupling(g.build()), 'convA');
    expect(convA.prunable).toBe(true);
    expect(slices(convA)).toEqual([
      'convA.weight@0[0]x1:output',
      'convA.bias@0[0]x1:bias',
      'proj@0[0]x1:input',
    ]);
    expect(convA.activations.at(-1)).toEqual({ value: 'nhwc_out', axis: 3, offset: 0, length: 6, stride: 1 });
  });
});
