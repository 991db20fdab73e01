import { isMetacompressError } from '@metacompress/core';
import { analyzeCoupling, loadOnnx } from '@metacompress/ir';
import { describe, expect, it } from 'vitest';
import { shrinkWidth } from '../student/shrink-width';
import { autoHintPoints, checkHintPoints } from './hint-points';

const resnet = await loadOnnx(new URL('../../../../fixtures/models/resnet.onnx', import.meta.url).pathname);

describe('hint points', () => {
  it('auto: one per prunable group shared by teacher and pruned student, at the last value with all its channels', () => {
    const student = shrinkWidth(resnet, { width: 0.5 });
    const points = autoHintPoints(resnet, student);
    const prunable = analyzeCoupling(resnet).filter((g) => g.prunable);
    expect(points.length).toBe(prunable.length);
    expect(points.map((p) => p.teacher)).toContain('/layers/layers.1/Relu_1_output_0'); // end of stage 1
    expect(points.map((p) => p.teacher)).toContain('/Flatten_output_0'); // pooled features of stage 3
    expect(points.map((p) => p.teacher)).not.toContain('logits');
    const produced = new Set(student.nodes.flatMap((n) => n.outputs));
    for (const p of points) expect(produced.has(p.teacher)).toBe(true);
  });

  it('explicit points must name computed values', () => {
    expect(checkHintPoints(resnet, resnet, [{ teacher: '/Flatten_output_0' }])).toEqual([
      { teacher: '/Flatten_output_0', student: '/Flatten_output_0' },
    ]);
    try {
      checkHintPoints(resnet, resnet, [{ teacher: '/Flatten_output_0', student: 'missing' }]);
      expect.unreachable();
    } catch (e) {
      expect(isMetacompressError(e, 'MC_INVALID_ARGUMENT') && e.details.field).toBe('hints[0].student');
    }
  });
});
