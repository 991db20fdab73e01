import { attrInt } from '../../attributes';
import { DataType } from '../../dtype';
import type { Dim } from '../../graph';
import { checkSameDim, normalizeAxis } from '../dims';
import type { ShapeRule } from '../shape-rule';
import type { ValueShape } from '../value-shape';
import { sameShape } from './helpers';

const BN_PARAMS = ['scale', 'B', 'input_mean', 'input_var'];

/** BatchNormalization, LayerNormalization, InstanceNormalization, GroupNormalization. */
export function normalizationRules(): Record<string, ShapeRule> {
  return {
    BatchNormalization: (node, inputs, ctx) => {
      const x = inputs[0];
      const xs = x?.shape;
      if (xs && xs.length < 2) ctx.fail('input[0]', `expected rank ≥ 2 (N, C, ...), got rank ${xs.length}`);
      const c: Dim = xs ? xs[1] : null;
      for (let i = 1; i <= 4; i++) {
        const ps = inputs[i]?.shape;
        if (!ps) continue;
        if (ps.length !== 1)
          ctx.fail(`input[${i}]`, `${BN_PARAMS[i - 1]} must be 1-D, got rank ${ps.length}`);
        checkSameDim(
          ps[0],
          c,
          (f, r) => ctx.fail(f, r),
          `${BN_PARAMS[i - 1]}.dims[0]`,
          `${BN_PARAMS[i - 1]} length (input[${i}]) vs input channels`,
        );
      }
      const stat: ValueShape = { dataType: inputs[3]?.dataType ?? x?.dataType ?? 0, shape: [c] };
      return [sameShape(x), ...node.outputs.slice(1).map(() => stat)];
    },
    InstanceNormalization: (_node, inputs, ctx) => {
      const xs = inputs[0]?.shape;
      for (let i = 1; i <= 2; i++) {
        const ps = inputs[i]?.shape;
        if (ps && xs)
          checkSameDim(
            ps[0],
            xs[1],
            (f, r) => ctx.fail(f, r),
            `${i === 1 ? 'scale' : 'B'}.dims[0]`,
            'parameter length vs input channels',
          );
      }
      return [sameShape(inputs[0])];
    },
    GroupNormalization: (_node, [x]) => [sameShape(x)],
    LayerNormalization: (node, [x], ctx) => {
      const xs = x?.shape;
      if (!xs) return [sameShape(x), undefined, undefined];
      const axis = normalizeAxis(
        attrInt(node, 'axis', -1),
        xs.length,
        (f, r) => ctx.fail(f, r),
        'attribute.axis',
      );
      const stash = attrInt(node, 'stash_type', DataType.FLOAT);
      const stat: ValueShape = {
        dataType: stash,
        shape: [...xs.slice(0, axis), ...xs.slice(axis).map(() => 1)],
      };
      return [sameShape(x), stat, stat];
    },
  };
}
