import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Graph } from '@metacompress/ir';
import { finetune, type FinetuneResult } from '../finetune/finetune';
import type { FinetuneOptions } from '../finetune/finetune-options';
import { shrinkWidth, type StudentSpec } from './shrink-width';

/**
 * Options of {@link distillStudent}: those of `finetune`, without `teacher`.
 *
 * @example
 * distillStudent(teacher, { width: 0.5 }, { train, epochs: 1 } as DistillStudentOptions);
 */
export type DistillStudentOptions = Omit<FinetuneOptions, 'teacher'>;

/**
 * The standalone student-from-teacher mode: trains a smaller student by knowledge distillation
 * (Hinton et al. 2015) from `teacher`. The student is any IR graph whose first output has the
 * teacher's shape, or a {@link StudentSpec} that derives one from the teacher (same family,
 * lower width, optionally re-initialized). Defaults as in `finetune` (α = 0.9, T = 4).
 *
 * @example
 * const { graph } = await distillStudent(teacher, { width: 0.5, reinitialize: true }, { train, validation, epochs: 2 });
 */
export async function distillStudent(
  teacher: Graph,
  student: Graph | StudentSpec,
  options: DistillStudentOptions,
): Promise<FinetuneResult & { student: Graph }> {
  if (!teacher || !Array.isArray(teacher.nodes)) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'distillStudent needs a teacher graph', {
      field: 'teacher',
    });
  }
  const initial = Array.isArray((student as Graph).nodes)
    ? (student as Graph)
    : shrinkWidth(teacher, student as StudentSpec);
  const result = await finetune(initial, { ...options, teacher });
  return { ...result, student: initial };
}
