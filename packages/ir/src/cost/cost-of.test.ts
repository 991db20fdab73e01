import { afterEach, describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import type { Graph } from '../graph';
import { GraphBuilder, lenet5, mlp } from '../shape/test-builders';
import { createTensor } from '../tensor';
import { costOf, tensorBytes } from './cost-of';
import { registerCostRule } from './cost-rule';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const nodeCost = (cost: ReturnType<typeof costOf>, name: string) => cost.nodes.find((n) => n.node === name)!;

describe('costOf: LeNet-5 against a hand count', () => {
  // Hand count, batch 1, float32 weights (bytes = 4 × params):
  //   conv1  1→6, 5×5, pad 2: out 6×28×28 = 4704; MACs 4704 × (1×5×5)  = 117,600; params 6·25 + 6     =    156
  //   pool1  → 6×14×14
  //   conv2  6→16, 5×5:       out 16×10×10 = 1600; MACs 1600 × (6×5×5) = 240,000; params 16·150 + 16  =  2,416
  //   pool2  → 16×5×5 = 400
  //   fc1    400→120:  MACs 48,000; params 48,000 + 120 = 48,120
  //   fc2    120→84:   MACs 10,080; params 10,080 + 84  = 10,164
  //   fc3    84→10:    MACs    840; params    840 + 10  =    850
  //   total  MACs 416,520; params 61,706; bytes 246,824
  const expected = [
    { node: 'conv1', macs: 117_600, params: 156 },
    { node: 'conv2', macs: 240_000, params: 2_416 },
    { node: 'fc1', macs: 48_000, params: 48_120 },
    { node: 'fc2', macs: 10_080, params: 10_164 },
    { node: 'fc3', macs: 840, params: 850 },
  ];

  it('per layer and in total (ONNX Flatten)', () => {
    const cost = costOf(lenet5());
    for (const e of expected) {
      const c = nodeCost(cost, e.node);
      expect({ node: c.node, macs: c.macs, params: c.params, bytes: c.bytes }).toEqual({
        ...e,
        bytes: 4 * e.params,
      });
    }
    expect(cost.macs).toBe(416_520);
    expect(cost.params).toBe(61_706);
    expect(cost.bytes).toBe(246_824);
    expect(cost.unresolved).toEqual([]);
    // ReLU, pools and Flatten cost no MACs and hold no params
    for (const c of cost.nodes.filter((n) => !['Conv', 'Gemm'].includes(n.opType)))
      expect([c.opType, c.macs, c.params]).toEqual([c.opType, 0, 0]);
  });

  it('FLOPs: 2 per MAC + bias adds, 1 per ReLU output, kernel size per pooled output', () => {
    const cost = costOf(lenet5());
    const flops = [
      2 * 117_600 + 4704, // conv1 + bias
      4704, // relu1
      6 * 14 * 14 * 4, // pool1 2×2
      2 * 240_000 + 1600, // conv2
      1600, // relu2
      16 * 5 * 5 * 4, // pool2
      0, // flatten
      2 * 48_000 + 120,
      120,
      2 * 10_080 + 84,
      84,
      2 * 840 + 10,
    ];
    expect(cost.nodes.map((n) => n.flops)).toEqual(flops);
    expect(cost.flops).toBe(flops.reduce((a, b) => a + b, 0));
  });

  it('the PyTorch flatten adds 24 bytes of int64 shape constants but no params', () => {
    const cost = costOf(lenet5({ flatten: 'pytorch' }));
    expect(cost.params).toBe(61_706);
    expect(cost.macs).toBe(416_520);
    expect(cost.bytes).toBe(246_824 + 3 * 8);
  });

  it('MACs scale with batchSize; a fixed batch is used as declared', () => {
    expect(costOf(lenet5(), { batchSize: 8 }).macs).toBe(8 * 416_520);
    expect(costOf(lenet5({ batch: 2 })).macs).toBe(2 * 416_520);
  });
});

describe('costOf: MLP 784-300-100-10', () => {
  it('matches the hand count', () => {
    // MACs 784·300 + 300·100 + 100·10 = 235,200 + 30,000 + 1,000; params add the biases
    const cost = costOf(mlp([784, 300, 100, 10]));
    expect(cost.nodes.filter((n) => n.opType === 'Gemm').map((n) => [n.macs, n.params])).toEqual([
      [235_200, 235_500],
      [30_000, 30_100],
      [1_000, 1_010],
    ]);
    expect(cost.macs).toBe(266_200);
    expect(cost.params).toBe(266_610);
    expect(cost.bytes).toBe(266_610 * 4);
  });
});

describe('costOf: other layer kinds', () => {
  it('depthwise Conv counts Cin/group; ConvTranspose counts input elements × (Cout/group) × kernel', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 8, 10, 10]);
    const dw = b.conv(x, {
      inChannels: 8,
      outChannels: 8,
      kernel: 3,
      group: 8,
      pads: [1, 1, 1, 1],
      name: 'dw',
    });
    b.output(b.op('ConvTranspose', [dw, b.weight('wt', [8, 4, 2, 2])], { strides: [2, 2] }, { name: 'up' }));
    const cost = costOf(b.build());
    expect(nodeCost(cost, 'dw').macs).toBe(8 * 10 * 10 * (1 * 3 * 3));
    expect(nodeCost(cost, 'dw').params).toBe(8 * 9 + 8);
    expect(nodeCost(cost, 'up').macs).toBe(8 * 10 * 10 * (4 * 2 * 2));
  });

  it('batched MatMul counts batch × M × N × K; a weight shared by two nodes is counted once, by the first', () => {
    const b = new GraphBuilder();
    const x = b.input('x', ['N', 4, 6, 8]);
    const w = b.weight('w', [8, 5]);
    const y = b.op('MatMul', [x, w], {}, { name: 'mm1' });
    b.output(b.op('Add', [y, b.op('MatMul', [x, w], {}, { name: 'mm2' })]));
    const cost = costOf(b.build());
    expect(nodeCost(cost, 'mm1')).toMatchObject({ macs: 4 * 6 * 5 * 8, params: 40, bytes: 160 });
    expect(nodeCost(cost, 'mm2')).toMatchObject({ macs: 4 * 6 * 5 * 8, params: 0, bytes: 0 });
    expect(cost.params).toBe(40);
  });

  it('BatchNormalization parameters are params; its MACs are 0 and its FLOPs 2 per element', () => {
    const b = new GraphBuilder();
    b.output(b.batchNorm(b.input('x', ['N', 4, 3, 3]), 4, 'bn'));
    const c = nodeCost(costOf(b.build()), 'bn');
    expect(c).toMatchObject({ params: 16, macs: 0, flops: 2 * 36, bytes: 64 });
  });

  it('nodes whose shapes stay unknown are listed as unresolved', () => {
    const b = new GraphBuilder();
    const y = b.op('Mystery', [b.input('x', [1, 3, 8, 8])], {}, { domain: 'com.example' });
    b.output(b.conv(y, { inChannels: 3, outChannels: 4, kernel: 3, name: 'after' }));
    const cost = costOf(b.build());
    expect(cost.unresolved).toEqual(['after']);
    expect(nodeCost(cost, 'after')).toMatchObject({ macs: 0, params: 4 * 27 + 4 });
  });
});

describe('costOf: quantized graphs', () => {
  /** LeNet's conv1 in QDQ form: uint8 activations, int8 per-channel weights, int32 bias. */
  function qdqConv(): Graph {
    const b = new GraphBuilder();
    const x = b.input('x', ['N', 1, 28, 28]);
    const sx = b.initializer('x_scale', DataType.FLOAT, [], [0.02]);
    const zx = b.initializer('x_zp', DataType.UINT8, [], [128]);
    const xq = b.op('QuantizeLinear', [x, sx, zx], {}, { name: 'q_x' });
    const xd = b.op('DequantizeLinear', [xq, sx, zx], {}, { name: 'dq_x' });
    const wq = b.initializer(
      'w_q',
      DataType.INT8,
      [6, 1, 5, 5],
      Array.from({ length: 150 }, (_, i) => (i % 9) - 4),
    );
    const ws = b.initializer('w_scale', DataType.FLOAT, [6], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
    const wz = b.initializer('w_zp', DataType.INT8, [6], [0, 0, 0, 0, 0, 0]);
    const wd = b.op('DequantizeLinear', [wq, ws, wz], { axis: 0 }, { name: 'dq_w' });
    const bq = b.initializer('b_q', DataType.INT32, [6], [1, 2, 3, 4, 5, 6]);
    const bs = b.initializer('b_scale', DataType.FLOAT, [6], [0.002, 0.002, 0.002, 0.002, 0.002, 0.002]);
    const bd = b.op('DequantizeLinear', [bq, bs], { axis: 0 }, { name: 'dq_b' });
    b.output(b.op('Conv', [xd, wd, bd], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }, { name: 'conv1' }));
    return b.build();
  }

  it('QDQ Conv: params are element counts (150 + 6), bytes are storage (int8 weight, int32 bias, scales, zero points)', () => {
    const cost = costOf(qdqConv());
    expect(nodeCost(cost, 'conv1')).toMatchObject({
      macs: 117_600,
      params: 150 + 6,
      bytes:
        150 /* int8 w */ + 6 * 4 /* w_scale */ + 6 /* w_zp */ + 6 * 4 /* int32 bias */ + 6 * 4 /* b_scale */,
    });
    // the activation's scale and zero point are storage of the QuantizeLinear, not params
    expect(nodeCost(cost, 'q_x')).toMatchObject({ params: 0, bytes: 4 + 1, macs: 0 });
    for (const dq of ['dq_x', 'dq_w', 'dq_b'])
      expect(nodeCost(cost, dq)).toMatchObject({ params: 0, bytes: 0 });
    expect(cost.params).toBe(156);
  });

  it('an int4 weight counts its packed bytes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', ['N', 784]);
    const w = b.initializer(
      'w4',
      DataType.INT4,
      [784, 300],
      Array.from({ length: 784 * 300 }, (_, i) => (i % 15) - 7),
    );
    const s = b.initializer('s', DataType.FLOAT, [], [0.05]);
    b.output(b.op('MatMul', [x, b.op('DequantizeLinear', [w, s])], {}, { name: 'fc' }));
    const c = nodeCost(costOf(b.build()), 'fc');
    expect(c).toMatchObject({ macs: 235_200, params: 235_200, bytes: 235_200 / 2 + 4 });
  });

  it('QLinearConv, ConvInteger and MatMulInteger count MACs like their float forms', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 2, 6, 6], DataType.UINT8);
    const f = (name: string, v: number) => b.initializer(name, DataType.FLOAT, [], [v]);
    const u = (name: string) => b.initializer(name, DataType.UINT8, [], [0]);
    const w = b.initializer(
      'w',
      DataType.UINT8,
      [4, 2, 3, 3],
      Array.from({ length: 72 }, (_, i) => i),
    );
    const bias = b.initializer('bias', DataType.INT32, [4], [1, 2, 3, 4]);
    const y = b.op(
      'QLinearConv',
      [x, f('xs', 0.1), u('xz'), w, f('ws', 0.1), u('wz'), f('ys', 0.1), u('yz'), bias],
      {},
      { name: 'qconv' },
    );
    const z = b.op(
      'ConvInteger',
      [
        y,
        b.initializer(
          'w2',
          DataType.UINT8,
          [3, 4, 1, 1],
          Array.from({ length: 12 }, (_, i) => i),
        ),
      ],
      {},
      { name: 'iconv' },
    );
    const m = b.op(
      'MatMulInteger',
      [
        b.initializer(
          'a',
          DataType.UINT8,
          [5, 7],
          Array.from({ length: 35 }, (_, i) => i),
        ),
        b.initializer(
          'bm',
          DataType.UINT8,
          [7, 2],
          Array.from({ length: 14 }, (_, i) => i),
        ),
      ],
      {},
      { name: 'imm' },
    );
    b.output(z, undefined, DataType.INT32);
    b.output(m, undefined, DataType.INT32);
    const cost = costOf(b.build());
    expect(nodeCost(cost, 'qconv')).toMatchObject({
      macs: 4 * 4 * 4 * (2 * 9),
      params: 72 + 4,
      bytes: 72 + 16 + 3 * 4 + 3,
    });
    expect(nodeCost(cost, 'iconv')).toMatchObject({ macs: 3 * 4 * 4 * 4, params: 12 });
    expect(nodeCost(cost, 'imm')).toMatchObject({ macs: 5 * 2 * 7, params: 35 + 14 });
  });
});

describe('registerCostRule', () => {
  it('lets a plugin count a custom op (MACs and which inputs are weights)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', ['N', 16]);
    const table = b.weight('lowrank_u', [16, 4]);
    const v = b.weight('lowrank_v', [4, 32]);
    b.output(b.op('LowRank', [x, table, v], {}, { domain: 'com.example', name: 'lr' }));
    const graph = b.build();
    expect(nodeCost(costOf(graph), 'lr')).toMatchObject({ macs: 0, params: 64 + 128 });
    cleanups.push(
      registerCostRule(
        'LowRank',
        {
          macs: (_node, ctx) => {
            const [, n] = ctx.input(0)!.shape as number[];
            return n * 4 + 4 * 32; // per sample: x·U then ·V
          },
          inputRoles: ['auto', 'weight', 'storage'],
        },
        'com.example',
      ),
    );
    expect(nodeCost(costOf(graph), 'lr')).toMatchObject({
      macs: 16 * 4 + 4 * 32,
      params: 64,
      bytes: 4 * (64 + 128),
    });
  });

  it('rejects bad registrations', () => {
    expect(() => registerCostRule('', {})).toThrow(/MC_INVALID_ARGUMENT/);
    expect(() => registerCostRule('X', null as never)).toThrow(/MC_INVALID_ARGUMENT/);
  });
});

describe('tensorBytes', () => {
  it('is the raw length, the string lengths, or the external length', () => {
    expect(tensorBytes(createTensor('w', DataType.INT4, [3], [1, 2, 3]))).toBe(2);
    expect(
      tensorBytes({
        name: 's',
        dataType: DataType.STRING,
        dims: [2],
        strings: [new Uint8Array(3), new Uint8Array(5)],
      }),
    ).toBe(8);
    expect(
      tensorBytes({
        name: 'e',
        dataType: DataType.FLOAT,
        dims: [10],
        external: { location: 'w.bin', length: 40 },
      }),
    ).toBe(40);
  });
});
