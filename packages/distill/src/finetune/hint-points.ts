import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { analyzeCoupling, type Graph } from '@metacompress/ir';

/**
 * One feature hint: the teacher's value `teacher` is the target of the student's value `student`
 * (default: the same name, as after pruning). Channels sit on axis 1 of both; where the widths
 * differ a learned 1×1 adapter maps the student's channels to the teacher's.
 *
 * @example
 * const hint: HintPoint = { teacher: '/layers/layers.3/Relu_1_output_0' };
 */
export interface HintPoint {
  teacher: string;
  student?: string;
}

function producedValues(graph: Graph): Set<string> {
  return new Set(graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== '')));
}

/**
 * Hint points on the coupling groups that teacher and student share (Romero et al. 2015, FitNets,
 * placed per group instead of once in the middle): for every prunable group present in both graphs
 * under the same id (as after channel pruning), the last value that carries all of the group's
 * channels on axis 1. Graph outputs are skipped (the soft-target loss already covers them).
 *
 * @example
 * autoHintPoints(original, pruned).map((h) => h.teacher); // ['/stem/stem.2/Relu_output_0', …]
 */
export function autoHintPoints(teacher: Graph, student: Graph): HintPoint[] {
  const studentGroups = new Map(analyzeCoupling(student).map((g) => [g.id, g]));
  const outputs = new Set([...teacher.outputs.map((o) => o.name), ...student.outputs.map((o) => o.name)]);
  const studentValues = producedValues(student);
  const points: HintPoint[] = [];
  const seen = new Set<string>();
  for (const group of analyzeCoupling(teacher)) {
    const twin = studentGroups.get(group.id);
    if (!group.prunable || !twin) continue;
    const candidates = group.activations.filter(
      (a) =>
        a.axis === 1 &&
        a.offset === 0 &&
        a.stride === 1 &&
        a.length === group.channels &&
        !outputs.has(a.value) &&
        studentValues.has(a.value) &&
        twin.activations.some(
          (b) =>
            b.value === a.value &&
            b.axis === 1 &&
            b.offset === 0 &&
            b.stride === 1 &&
            b.length === twin.channels,
        ),
    );
    const last = candidates[candidates.length - 1];
    if (last && !seen.has(last.value)) {
      seen.add(last.value);
      points.push({ teacher: last.value });
    }
  }
  return points;
}

/**
 * Checks explicit hint points against the graphs: every named value must be computed by a node.
 *
 * @example
 * checkHintPoints(teacher, student, [{ teacher: 'relu3' }]); // throws MC_INVALID_ARGUMENT when 'relu3' is missing
 */
export function checkHintPoints(teacher: Graph, student: Graph, points: readonly HintPoint[]): HintPoint[] {
  const t = producedValues(teacher);
  const s = producedValues(student);
  return points.map((p, i) => {
    const studentName = p.student ?? p.teacher;
    if (!t.has(p.teacher)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `the teacher computes no value '${p.teacher}'`,
        { field: `hints[${i}].teacher` },
      );
    }
    if (!s.has(studentName)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `the student computes no value '${studentName}'`,
        { field: `hints[${i}].student` },
      );
    }
    return { teacher: p.teacher, student: studentName };
  });
}
