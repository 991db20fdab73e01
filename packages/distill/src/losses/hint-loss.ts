import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError, createRng } from '@metacompress/core';

/**
 * A learned 1×1 convolution (a linear map over the channel axis) that carries a student feature
 * map with `studentChannels` channels to the teacher's `teacherChannels`: the "regressor" of
 * FitNets (Romero et al. 2015, "FitNets: Hints for Thin Deep Nets"). Works on `[N, C]` and on
 * `[N, C, H, W]` (channels on axis 1, as in the IR). Its weight is trained with the student and is
 * not part of the exported model.
 *
 * @example
 * const a: HintAdapter = createHintAdapter({ studentChannels: 8, teacherChannels: 16, seed: 0 });
 */
export interface HintAdapter {
  /** Trainable weight `[studentChannels, teacherChannels]`. */
  readonly weight: tf.Variable;
  readonly studentChannels: number;
  readonly teacherChannels: number;
  /** Maps a student feature (channels on axis 1) to the teacher's width. */
  apply(feature: tf.Tensor): tf.Tensor;
  /** Frees the weight. */
  dispose(): void;
}

/**
 * Options of {@link createHintAdapter}.
 *
 * @example
 * createHintAdapter({ studentChannels: 8, teacherChannels: 16, seed: 0 });
 */
export interface HintAdapterOptions {
  studentChannels: number;
  teacherChannels: number;
  /** Seed of the initialization (He-normal, scaled by 1/√studentChannels). */
  seed: number;
  /** Initial weight values (row-major `[studentChannels, teacherChannels]`), e.g. from a checkpoint. */
  initial?: Float32Array;
  /** Variable name (must be unique in the tfjs engine while the adapter lives). */
  name?: string;
}

let adapterCount = 0;

/**
 * Creates a {@link HintAdapter}. With equal widths it starts as the identity (so a hint between a
 * student and a same-width teacher begins as a plain feature match); otherwise a seeded normal
 * initialization.
 *
 * @example
 * const adapter = createHintAdapter({ studentChannels: 8, teacherChannels: 16, seed: 1 });
 * const loss = hintLoss(adapter.apply(studentFeature), teacherFeature);
 */
export function createHintAdapter(options: HintAdapterOptions): HintAdapter {
  const { studentChannels: cs, teacherChannels: ct } = options;
  for (const [field, v] of [
    ['studentChannels', cs],
    ['teacherChannels', ct],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `${field} must be a positive integer, got ${String(v)}`,
        { field },
      );
    }
  }
  let values: Float32Array;
  if (options.initial) {
    if (options.initial.length !== cs * ct) {
      throw new MetacompressError(
        ErrorCodes.SHAPE_MISMATCH,
        `adapter weight has ${options.initial.length} values, expected ${cs}×${ct}`,
        { field: 'initial' },
      );
    }
    values = Float32Array.from(options.initial);
  } else if (cs === ct) {
    values = new Float32Array(cs * ct);
    for (let i = 0; i < cs; i++) values[i * ct + i] = 1;
  } else {
    const rng = createRng(options.seed);
    const scale = Math.sqrt(1 / cs);
    values = new Float32Array(cs * ct);
    for (let i = 0; i < values.length; i++) values[i] = rng.normal() * scale;
  }
  const weight = tf.variable(
    tf.tensor2d(values, [cs, ct]),
    true,
    options.name ?? `distill_hint_adapter_${adapterCount++}`,
  );
  return {
    weight,
    studentChannels: cs,
    teacherChannels: ct,
    apply(feature) {
      if (feature.rank < 2 || feature.shape[1] !== cs) {
        throw new MetacompressError(
          ErrorCodes.SHAPE_MISMATCH,
          `hint adapter expects ${cs} channels on axis 1, got shape [${feature.shape.join(', ')}]`,
          { field: 'feature' },
        );
      }
      return tf.tidy(() => {
        if (feature.rank === 2) return tf.matMul(feature, weight);
        // [N, C, ...spatial] → [N, ...spatial, C] · W → back to channels on axis 1.
        const rank = feature.rank;
        const toLast = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
        const moved = tf.transpose(feature, toLast);
        const flat = tf.reshape(moved, [-1, cs]);
        const mapped = tf.reshape(tf.matMul(flat, weight), [...moved.shape.slice(0, -1), ct]);
        const back = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
        return tf.transpose(mapped, back);
      });
    },
    dispose() {
      weight.dispose();
    },
  };
}

/**
 * Feature-hint loss of FitNets (Romero et al. 2015): the mean squared difference between a
 * student feature (already mapped to the teacher's width, see {@link createHintAdapter}) and the
 * teacher's feature at the matching layer. Shapes must agree.
 *
 * @example
 * const loss = hintLoss(adapter.apply(studentFeature), teacherFeature); // scalar ≥ 0
 */
export function hintLoss(studentFeature: tf.Tensor, teacherFeature: tf.Tensor): tf.Scalar {
  const a = studentFeature.shape;
  const b = teacherFeature.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `student feature [${a.join(', ')}] and teacher feature [${b.join(', ')}] differ in shape`,
      { field: 'teacherFeature' },
    );
  }
  return tf.tidy(() => tf.mean(tf.squaredDifference(studentFeature, teacherFeature)) as tf.Scalar);
}
