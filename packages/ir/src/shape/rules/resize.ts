import { attrFloats, attrInts, attrString } from '../../attributes';
import type { Dim, Node } from '../../graph';
import { normalizeAxis } from '../dims';
import type { ShapeContext, ShapeRule } from '../shape-rule';
import type { ValueShape } from '../value-shape';
import { hasInput } from './helpers';

function scaled(
  xs: readonly Dim[],
  axes: readonly number[],
  scales: readonly number[],
  roi?: readonly number[],
): Dim[] {
  const out = [...xs];
  axes.forEach((axis, i) => {
    const d = xs[axis];
    const extent = roi ? roi[i + axes.length] - roi[i] : 1;
    out[axis] =
      typeof d === 'number' ? Math.floor(d * extent * scales[i]) : scales[i] === 1 && extent === 1 ? d : null;
  });
  return out;
}

function resizeShape(node: Node, inputs: readonly (ValueShape | undefined)[], ctx: ShapeContext): ValueShape {
  const x = inputs[0];
  const dataType = x?.dataType ?? 0;
  const xs = x?.shape;
  if (!xs) return { dataType };
  const axes = (attrInts(node, 'axes') ?? xs.map((_, i) => i)).map((a) =>
    normalizeAxis(a, xs.length, (f, r) => ctx.fail(f, r), 'attribute.axes'),
  );
  const unknown = (): ValueShape => ({ dataType, shape: xs.map((d, i) => (axes.includes(i) ? null : d)) });
  if (ctx.opset < 11) {
    const scales = inputs[1]?.value;
    return scales ? { dataType, shape: scaled(xs, axes, scales) } : unknown();
  }
  const sizes = hasInput(node, 3) ? inputs[3]?.value : undefined;
  if (hasInput(node, 3) && !sizes) return unknown();
  if (sizes && sizes.length > 0) {
    if (sizes.length !== axes.length) ctx.fail('input[3]', `${sizes.length} sizes for ${axes.length} axes`);
    const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
    const out = [...xs];
    if (policy === 'stretch') {
      axes.forEach((axis, i) => (out[axis] = sizes[i]));
      return { dataType, shape: out };
    }
    const ratios = axes.map((axis, i) =>
      typeof xs[axis] === 'number' ? sizes[i] / (xs[axis] as number) : NaN,
    );
    if (ratios.some(Number.isNaN)) return unknown();
    const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    axes.forEach((axis) => (out[axis] = Math.round(scale * (xs[axis] as number))));
    return { dataType, shape: out };
  }
  const scales = hasInput(node, 2) ? inputs[2]?.value : undefined;
  if (!scales || scales.length === 0) return unknown();
  if (scales.length !== axes.length) ctx.fail('input[2]', `${scales.length} scales for ${axes.length} axes`);
  const tfCrop = attrString(node, 'coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize';
  const roi = tfCrop ? inputs[1]?.value : undefined;
  if (tfCrop && !roi) return unknown();
  return { dataType, shape: scaled(xs, axes, scales, roi) };
}

/** Resize (opsets 10–19) and Upsample (scales as attribute or input). */
export function resizeRules(): Record<string, ShapeRule> {
  return {
    Resize: (node, inputs, ctx) => [resizeShape(node, inputs, ctx)],
    Upsample: (node, inputs) => {
      const x = inputs[0];
      const xs = x?.shape;
      const scales = hasInput(node, 1) ? inputs[1]?.value : attrFloats(node, 'scales');
      if (!xs) return [{ dataType: x?.dataType ?? 0 }];
      return [
        {
          dataType: x!.dataType,
          shape: scales
            ? scaled(
                xs,
                xs.map((_, i) => i),
                scales,
              )
            : xs.map(() => null),
        },
      ];
    },
  };
}
