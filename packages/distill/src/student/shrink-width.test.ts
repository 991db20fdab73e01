import { isMetacompressError } from '@metacompress/core';
import { analyzeCoupling, costOf, loadOnnx, toFloat32 } from '@metacompress/ir';
import { describe, expect, it } from 'vitest';
import { reinitialize, shrinkWidth } from './shrink-width';

const resnet = await loadOnnx(new URL('../../../../fixtures/models/resnet.onnx', import.meta.url).pathname);
const lenet5 = await loadOnnx(new URL('../../../../fixtures/models/lenet5.onnx', import.meta.url).pathname);
const vggBn = await loadOnnx(new URL('../../../../fixtures/models/vgg_bn-bn.onnx', import.meta.url).pathname);

describe('shrinkWidth', () => {
  it('meets a MACs budget with uniform keeps and keeps node and value names', () => {
    const student = shrinkWidth(resnet, { budget: { metric: 'macs', ratio: 0.25 } });
    const ratio = costOf(student).macs / costOf(resnet).macs;
    expect(ratio).toBeLessThanOrEqual(0.25 * 1.01);
    expect(ratio).toBeGreaterThan(0.2);
    expect(student.nodes.map((n) => n.name)).toEqual(resnet.nodes.map((n) => n.name));
    const widths = analyzeCoupling(student)
      .filter((g) => g.prunable)
      .map((g) => g.channels);
    const before = analyzeCoupling(resnet)
      .filter((g) => g.prunable)
      .map((g) => g.channels);
    widths.forEach((w, i) => expect(w / before[i]!).toBeGreaterThan(0.3));
    widths.forEach((w, i) => expect(w / before[i]!).toBeLessThan(0.7));
  });

  it('keeps the channels with the largest L1 norm, with their values', () => {
    const student = shrinkWidth(lenet5, { width: 0.5 });
    const conv1 = lenet5.nodes.find((n) => n.opType === 'Conv')!;
    const full = lenet5.initializers.find((t) => t.name === conv1.inputs[1])!; // [6, 1, 5, 5]
    const small = student.initializers.find((t) => t.name === conv1.inputs[1])!;
    expect(small.dims).toEqual([3, 1, 5, 5]);
    const values = toFloat32(full);
    const l1 = Array.from({ length: 6 }, (_, c) =>
      values.subarray(c * 25, (c + 1) * 25).reduce((a, b) => a + Math.abs(b), 0),
    );
    const top = [...l1.keys()]
      .sort((a, b) => l1[b]! - l1[a]!)
      .slice(0, 3)
      .sort((a, b) => a - b);
    expect(Array.from(toFloat32(small))).toEqual(
      top.flatMap((c) => Array.from(values.subarray(c * 25, (c + 1) * 25))),
    );
  });

  it('re-initializes on request, deterministically for a seed', () => {
    const a = shrinkWidth(resnet, { width: 0.5, reinitialize: true, seed: 1 });
    const b = shrinkWidth(resnet, { width: 0.5, reinitialize: true, seed: 1 });
    const c = shrinkWidth(resnet, { width: 0.5, reinitialize: true, seed: 2 });
    const kept = shrinkWidth(resnet, { width: 0.5 });
    const w = (g: typeof a, i = 0) => Array.from(toFloat32(g.initializers[i]!));
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    expect(w(a)).not.toEqual(w(kept));
    const bias = a.initializers.find((t) => t.dims.length === 1)!;
    expect(Array.from(toFloat32(bias)).every((x) => x === 0)).toBe(true);
  });

  it('reinitialize sets BatchNormalization to identity and He-scales conv weights', () => {
    const fresh = reinitialize(vggBn, 3);
    const bn = vggBn.nodes.find((n) => n.opType === 'BatchNormalization')!;
    const get = (name: string) => Array.from(toFloat32(fresh.initializers.find((t) => t.name === name)!));
    expect(get(bn.inputs[1]!).every((x) => x === 1)).toBe(true);
    expect(get(bn.inputs[4]!).every((x) => x === 1)).toBe(true);
    expect(get(bn.inputs[3]!).every((x) => x === 0)).toBe(true);
    const conv = vggBn.nodes.find((n) => n.opType === 'Conv')!;
    const w = get(conv.inputs[1]!);
    const std = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length);
    expect(std).toBeGreaterThan(Math.sqrt(2 / 9) * 0.7);
    expect(std).toBeLessThan(Math.sqrt(2 / 9) * 1.3);
  });

  it('rejects a bad spec', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isMetacompressError(e) ? `${e.code} ${String(e.details.field)}` : String(e);
      }
    };
    expect(field(() => shrinkWidth(resnet, { width: 0 }))).toBe('MC_INVALID_ARGUMENT student.width');
    expect(field(() => shrinkWidth(resnet, {}))).toBe('MC_INVALID_ARGUMENT student.width');
    expect(field(() => shrinkWidth(resnet, { width: 0.5, budget: { metric: 'macs', ratio: 0.5 } }))).toBe(
      'MC_INVALID_ARGUMENT student.width',
    );
  });
});
