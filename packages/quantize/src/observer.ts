import { ErrorCodes, MetacompressError } from '@metacompress/core';
import {
  CALIBRATION_METHODS,
  rangeEntropy,
  rangeMinMax,
  rangeMse,
  rangePercentile,
  type CalibrationMethod,
  type RangeTarget,
  type RealRange,
} from './calibration-methods';
import { Histogram } from './histogram';
import { computeQuantParams, type QuantParams } from './qparams';

/** Options of {@link createObserver}. */
export interface ObserverOptions {
  /** How the range is chosen (default `minmax`). */
  method?: CalibrationMethod;
  /** For `percentile`: the share of values kept, in percent (default 99.99). */
  percentile?: number;
  /** Histogram bins per sign (a power of two, default 2048). */
  bins?: number;
  /** Observe per channel along this axis (per tensor when absent). */
  axis?: number;
}

/** Per-tensor (one entry) or per-channel ranges. */
export interface TensorRange {
  min: Float32Array;
  max: Float32Array;
  /** The channel axis of per-channel ranges. */
  axis?: number;
}

/**
 * Watches the values a tensor takes (batch after batch) and picks its clipping range with a
 * calibration method: `minmax` (the full range), `percentile` (tails clipped), `entropy`
 * (TensorRT's KL-divergence threshold) or `mse` (least expected squared error).
 *
 * @example
 * const obs = createObserver({ method: 'entropy' });
 * for (const batch of activations) obs.observe(batch.data);
 * const params = obs.params({ dataType: 'uint8' }); // scale and zero point
 */
export interface Observer {
  readonly method: CalibrationMethod;
  /** Finite values seen so far (over all channels). */
  readonly count: number;
  /** NaN or infinite values seen (ignored by every method). */
  readonly nonFinite: number;
  /** Adds a batch of values; per-channel observers need the tensor's `dims`. */
  observe(values: ArrayLike<number>, dims?: readonly number[]): void;
  /** The chosen range(s) for a target quantization. */
  range(target: RangeTarget): TensorRange;
  /** Scale and zero point(s) for a target quantization. */
  params(target: RangeTarget): QuantParams;
}

/**
 * Creates an {@link Observer}. Histogram methods count values in a two-sided histogram that grows
 * with the data ({@link Histogram}), so one pass over the calibration set is enough.
 *
 * @example
 * const perChannel = createObserver({ method: 'mse', axis: 0 });
 * perChannel.observe(weights, [16, 3, 3, 3]);
 * perChannel.range({ dataType: 'int8', symmetric: true }).max.length; // 16
 */
export function createObserver(options: ObserverOptions = {}): Observer {
  const method = options.method ?? 'minmax';
  if (!CALIBRATION_METHODS.includes(method)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `unknown calibration method '${String(method)}'; use ${CALIBRATION_METHODS.join(', ')}`,
      {
        field: 'method',
      },
    );
  }
  const percentile = options.percentile ?? 99.99;
  if (!(percentile > 0 && percentile <= 100)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `percentile must be in (0, 100], got ${percentile}`,
      { field: 'percentile' },
    );
  }
  const bins = options.bins ?? 2048;
  const axis = options.axis;
  let histograms: Histogram[] = [];
  let channels: number | undefined;

  const choose = (h: Histogram, target: RangeTarget): RealRange => {
    switch (method) {
      case 'minmax':
        return rangeMinMax(h, target);
      case 'percentile':
        return rangePercentile(h, percentile, target);
      case 'entropy':
        return rangeEntropy(h, target);
      case 'mse':
        return rangeMse(h, target);
    }
  };

  const observer: Observer = {
    method,
    get count() {
      return histograms.reduce((a, h) => a + h.count, 0);
    },
    get nonFinite() {
      return histograms.reduce((a, h) => a + h.nonFinite, 0);
    },
    observe(values, dims) {
      if (axis === undefined) {
        if (histograms.length === 0) histograms = [new Histogram(bins)];
        histograms[0].add(values);
        return;
      }
      if (!dims)
        throw new MetacompressError(
          ErrorCodes.INVALID_ARGUMENT,
          'a per-channel observer needs the tensor dims',
          { field: 'dims' },
        );
      const a = axis < 0 ? axis + dims.length : axis;
      if (a < 0 || a >= dims.length) {
        throw new MetacompressError(
          ErrorCodes.SHAPE_MISMATCH,
          `axis ${axis} is outside dims [${dims.join(', ')}]`,
          { field: 'axis' },
        );
      }
      const c = dims[a];
      if (channels === undefined) {
        channels = c;
        histograms = Array.from({ length: c }, () => new Histogram(bins));
      } else if (channels !== c) {
        throw new MetacompressError(
          ErrorCodes.SHAPE_MISMATCH,
          `observed ${channels} channels before, now ${c} (dims [${dims.join(', ')}])`,
          {
            field: 'dims',
          },
        );
      }
      let inner = 1;
      for (let d = a + 1; d < dims.length; d++) inner *= dims[d];
      for (let ch = 0; ch < c; ch++)
        histograms[ch].add(values, { offset: ch * inner, length: inner, stride: c * inner });
    },
    range(target) {
      if (histograms.length === 0)
        return { min: Float32Array.of(0), max: Float32Array.of(0), ...(axis !== undefined ? { axis } : {}) };
      const ranges = histograms.map((h) => choose(h, target));
      const out: TensorRange = {
        min: Float32Array.from(ranges, (r) => r.min),
        max: Float32Array.from(ranges, (r) => r.max),
      };
      if (axis !== undefined) out.axis = axis;
      return out;
    },
    params(target) {
      const r = observer.range(target);
      return computeQuantParams(r.min, r.max, {
        ...target,
        ...(r.axis !== undefined ? { axis: r.axis } : {}),
      });
    },
  };
  return observer;
}
