import { attrInt } from '../../attributes';
import { DataType } from '../../dtype';
import type { ShapeRule } from '../shape-rule';
import type { ValueShape } from '../value-shape';
import { elementwise, sameShape } from './helpers';

/** QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and the com.microsoft QLinear* elementwise ops. */
export function quantizeRules(): Record<string, ShapeRule> {
  const qlinearBinary: ShapeRule = (node, inputs, ctx) => {
    // A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp
    const y = elementwise({ ...node, inputs: [node.inputs[0], node.inputs[3]] }, [inputs[0], inputs[3]], ctx);
    return [y && { ...y, dataType: inputs[7]?.dataType ?? inputs[0]?.dataType ?? DataType.UINT8 }];
  };
  return {
    QuantizeLinear: (node, [x, _scale, zp]) => {
      const dataType = zp?.dataType ?? attrInt(node, 'output_dtype', 0) ?? DataType.UINT8;
      return [sameShape(x, dataType || DataType.UINT8)];
    },
    DequantizeLinear: (_node, [x, scale], ctx) => [
      sameShape(x, ctx.opset >= 19 ? (scale?.dataType ?? DataType.FLOAT) : DataType.FLOAT),
    ],
    DynamicQuantizeLinear: (_node, [x]) => {
      const scalar = (dataType: number): ValueShape => ({ dataType, shape: [] });
      return [sameShape(x, DataType.UINT8), scalar(DataType.FLOAT), scalar(DataType.UINT8)];
    },
    'com.microsoft:QLinearAdd': qlinearBinary,
    'com.microsoft:QLinearMul': qlinearBinary,
    'com.microsoft:QLinearSigmoid': (_node, inputs) => [
      sameShape(inputs[0], inputs[4]?.dataType ?? inputs[0]?.dataType),
    ],
    'com.microsoft:QLinearLeakyRelu': (_node, inputs) => [
      sameShape(inputs[0], inputs[4]?.dataType ?? inputs[0]?.dataType),
    ],
    'com.microsoft:QuickGelu': (_node, [x]) => [sameShape(x)],
    'com.microsoft:Gelu': (_node, [x]) => [sameShape(x)],
    'com.microsoft:BiasGelu': (_node, [x]) => [sameShape(x)],
    'com.microsoft:FastGelu': (_node, [x]) => [sameShape(x)],
  };
}
