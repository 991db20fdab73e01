import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * How keep ratios become channel counts: multiples of `roundTo` (or the whole group), never fewer
 * than `minChannels`.
 *
 * @example
 * const rounding: KeepRounding = { roundTo: 8, minChannels: 8 };
 */
export interface KeepRounding {
  /** Kept channel counts are multiples of this (default 1); the full channel count is always allowed. */
  roundTo?: number;
  /** Fewest channels a group may keep (default 1); raised to the group's own minimum by callers. */
  minChannels?: number;
}

function checkInteger(value: number, field: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `${field} must be an integer ≥ ${min}, got ${value}`,
      { field },
    );
  }
}

/**
 * Every channel count a group of `channels` may keep under a rounding, ascending: the multiples of
 * `roundTo` from the smallest one ≥ `minChannels` up to `channels`, plus `channels` itself.
 *
 * @example
 * keepCandidates(20, { roundTo: 8 }); // [8, 16, 20]
 * keepCandidates(6, { roundTo: 8 });  // [6]
 */
export function keepCandidates(channels: number, rounding: KeepRounding = {}): number[] {
  const roundTo = rounding.roundTo ?? 1;
  const minChannels = rounding.minChannels ?? 1;
  checkInteger(channels, 'channels', 1);
  checkInteger(roundTo, 'roundTo', 1);
  checkInteger(minChannels, 'minChannels', 1);
  const out: number[] = [];
  const first = Math.max(roundTo, Math.ceil(minChannels / roundTo) * roundTo);
  for (let k = first; k < channels; k += roundTo) out.push(k);
  out.push(channels);
  return out;
}

/**
 * The channel count a group keeps for a keep ratio: the candidate (see {@link keepCandidates})
 * nearest to `keep × channels` (ties go to the larger one). Idempotent: `keepCount(c, keepCount(c, r) / c)`
 * returns the same count, so policies that store exact `count / channels` ratios survive a round trip.
 *
 * @example
 * keepCount(64, 0.3, { roundTo: 8 }); // 16 (19.2 → nearest multiple of 8)
 * keepCount(64, 0.01);                // 1
 */
export function keepCount(channels: number, keep: number, rounding: KeepRounding = {}): number {
  if (typeof keep !== 'number' || !Number.isFinite(keep) || keep <= 0 || keep > 1) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `keep ratio must be in (0, 1], got ${keep}`, {
      field: 'keep',
    });
  }
  const candidates = keepCandidates(channels, rounding);
  const target = keep * channels;
  let best = candidates[candidates.length - 1];
  let bestError = Infinity;
  for (const c of candidates) {
    const error = Math.abs(c - target);
    if (error < bestError - 1e-9 || (Math.abs(error - bestError) <= 1e-9 && c > best)) {
      best = c;
      bestError = error;
    }
  }
  return best;
}
