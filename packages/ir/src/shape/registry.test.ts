import { isMetacompressError } from '@metacompress/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import { inferShapes } from './infer-shapes';
import { registerShapeRule, shapeRuleFor } from './registry';
import type { ShapeRule } from './shape-rule';
import { GraphBuilder } from './test-builders';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** x [N, C, H, W] → custom SpaceToChannels(block) → [N, C·b², H/b, W/b], then a 1×1 conv. */
function graphWithCustomOp() {
  const b = new GraphBuilder({ extraOpsets: [{ domain: 'com.example', version: 1 }] });
  const x = b.input('x', ['N', 3, 8, 8]);
  const y = b.op('SpaceToChannels', [x], { block: 2 }, { domain: 'com.example' });
  const z = b.conv(y, { inChannels: 12, outChannels: 4, kernel: 1, name: 'head' });
  b.output(z);
  return { graph: b.build(), y, z };
}

const spaceToChannels: ShapeRule = (node, [x], ctx) => {
  const block = node.attributes.block?.type === 'int' ? node.attributes.block.value : 1;
  const s = x?.shape;
  if (!x || !s) return [undefined];
  if (s.length !== 4) ctx.fail('input[0]', `expected rank 4, got ${s.length}`);
  const div = (d: (typeof s)[number]) => (typeof d === 'number' ? d / block : null);
  return [
    {
      dataType: x.dataType,
      shape: [s[0], typeof s[1] === 'number' ? s[1] * block * block : null, div(s[2]), div(s[3])],
    },
  ];
};

describe('registerShapeRule', () => {
  it('teaches inference a custom op, so shapes flow on to the next node', () => {
    const { graph, y, z } = graphWithCustomOp();
    expect(inferShapes(graph).get(z)).toEqual({ dataType: DataType.FLOAT, shape: [null, 4, null, null] }); // rank and channels from the weight
    cleanups.push(registerShapeRule('SpaceToChannels', spaceToChannels, 'com.example'));
    const shapes = inferShapes(graph);
    expect(shapes.get(y)?.shape).toEqual(['N', 12, 4, 4]);
    expect(shapes.get(z)?.shape).toEqual(['N', 4, 4, 4]);
    expect(inferShapes(graph, { strict: true }).get(z)?.shape).toEqual(['N', 4, 4, 4]);
  });

  it('is keyed by domain: the same op type in another domain stays unknown', () => {
    cleanups.push(registerShapeRule('SpaceToChannels', spaceToChannels, 'com.other'));
    const { graph, y } = graphWithCustomOp();
    expect(inferShapes(graph).get(y)).toBeUndefined();
    expect(shapeRuleFor('SpaceToChannels', 'com.other')).toBe(spaceToChannels);
  });

  it('unregistering restores the previous rule (here: the built-in Relu rule)', () => {
    const builtin = shapeRuleFor('Relu');
    const doubling: ShapeRule = (_node, [x]) => [
      x && { dataType: x.dataType, shape: x.shape?.map((d) => (typeof d === 'number' ? 2 * d : d)) },
    ];
    const unregister = registerShapeRule('Relu', doubling);
    const b = new GraphBuilder();
    const r = b.relu(b.input('x', [3]));
    expect(inferShapes(b.build()).get(r)?.shape).toEqual([6]);
    unregister();
    expect(shapeRuleFor('Relu')).toBe(builtin);
    expect(inferShapes(b.build()).get(r)?.shape).toEqual([3]);
  });

  it('errors a rule raises name the node; a rule that throws a plain Error or returns garbage is reported', () => {
    const { graph } = graphWithCustomOp();
    cleanups.push(
      registerShapeRule(
        'SpaceToChannels',
        (_n, _i, ctx) => ctx.fail('attribute.block', 'block must divide H'),
        'com.example',
      ),
    );
    try {
      inferShapes(graph, { file: 'custom.onnx' });
      expect.unreachable();
    } catch (e) {
      expect(isMetacompressError(e, 'MC_SHAPE_MISMATCH')).toBe(true);
      expect((e as { details: object }).details).toMatchObject({
        node: 'spacetochannels',
        opType: 'SpaceToChannels',
        field: 'attribute.block',
        file: 'custom.onnx',
      });
    }
    cleanups.push(
      registerShapeRule(
        'SpaceToChannels',
        () => {
          throw new Error('boom');
        },
        'com.example',
      ),
    );
    expect(() => inferShapes(graph)).toThrow(/MC_MODEL_INVALID: shape rule of SpaceToChannels failed: boom/);
    cleanups.push(registerShapeRule('SpaceToChannels', (() => 42) as unknown as ShapeRule, 'com.example'));
    expect(() => inferShapes(graph)).toThrow(/MC_PLUGIN_INVALID/);
  });

  it('rejects an empty op type or a non-function rule', () => {
    expect(() => registerShapeRule('', spaceToChannels)).toThrow(/MC_INVALID_ARGUMENT/);
    expect(() => registerShapeRule('X', 'nope' as unknown as ShapeRule)).toThrow(/MC_INVALID_ARGUMENT/);
  });
});
