import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { isCriterion, type Criterion } from '../criterion';
import { bnScale } from './bn-scale';
import { fpgm } from './fpgm';
import { l1Magnitude, l2Magnitude } from './magnitude';
import { randomImportance } from './random';
import { taylor } from './taylor';

/** The built-in criteria by name (`l1`, `l2`, `fpgm`, `bn-scale`, `taylor`, `random`). */
export const builtinCriteria: Readonly<Record<string, Criterion>> = Object.freeze({
  l1: l1Magnitude,
  l2: l2Magnitude,
  fpgm,
  'bn-scale': bnScale,
  taylor,
  random: randomImportance,
});

/**
 * A criterion given by value or by built-in name; anything else is `MC_INVALID_ARGUMENT` listing the names.
 *
 * @example
 * resolveCriterion('fpgm').name; // 'fpgm'
 */
export function resolveCriterion(value: unknown, field = 'criterion'): Criterion {
  if (isCriterion(value)) return value;
  if (typeof value === 'string' && Object.hasOwn(builtinCriteria, value)) return builtinCriteria[value];
  throw new MetacompressError(
    ErrorCodes.INVALID_ARGUMENT,
    `unknown criterion ${typeof value === 'string' ? `'${value}'` : typeof value}; use one of ${Object.keys(builtinCriteria).join(', ')} or a defineCriterion object`,
    { field },
  );
}
