import type { ShapeRule } from '../shape-rule';
import { constantRules } from './constant';
import { convRules } from './conv';
import { elementwiseRules } from './elementwise';
import { layoutRules } from './layout';
import { linearRules } from './linear';
import { normalizationRules } from './normalization';
import { quantizeRules } from './quantize';
import { reduceRules } from './reduce';
import { resizeRules } from './resize';

let table: Map<string, ShapeRule> | undefined;

/**
 * The built-in shape rules, keyed `opType` for the default ONNX domain and `domain:opType` otherwise
 * (built lazily on first use).
 */
export function builtinShapeRules(): ReadonlyMap<string, ShapeRule> {
  if (!table) {
    table = new Map(
      Object.entries({
        ...elementwiseRules(),
        ...convRules(),
        ...linearRules(),
        ...normalizationRules(),
        ...layoutRules(),
        ...constantRules(),
        ...reduceRules(),
        ...quantizeRules(),
        ...resizeRules(),
      }),
    );
  }
  return table;
}
