/**
 * Runs inferShapes over the ONNX backend test suite shipped by Debian's libonnx-testdata
 * (node, pytorch-converted, pytorch-operator, simple) and compares inferred output shapes, types
 * and contents with the expected outputs stored beside each model. Integer inputs and tiny inputs are
 * turned into initializers so that shape-valued inputs (Reshape targets, Slice starts, Resize
 * sizes...) exercise the constant-value paths. Declared value_info is ignored (`useValueInfo: false`)
 * so every shape comes from our rules.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataType } from '../dtype';
import { decodeOnnx, decodeTensorProto } from '../onnx/decode';
import { toNumbers, type Tensor } from '../tensor';
import { inferShapes } from './infer-shapes';
import { shapeRuleFor } from './registry';

const ROOT = '/usr/share/libonnx-testdata/data';
const GROUPS = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'];
/** Old test data stores bfloat16 tensors as uint16: not comparable. */
const EXCLUDED = /BFLOAT16/;

/** A test-data file as a tensor, or undefined for sequences/optionals (other protobuf messages). */
function readTensor(file: string): Tensor | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return decodeTensorProto(readFileSync(file));
  } catch {
    return undefined;
  }
}

describe('inferShapes on the ONNX backend test suite', () => {
  it('matches every expected output shape, type and small constant value it infers', () => {
    expect(existsSync(ROOT), `${ROOT} (Debian package libonnx-testdata) is required`).toBe(true);
    const problems: string[] = [];
    let models = 0;
    let matched = 0;
    let valuesChecked = 0;
    let fullySupportedUnknown = 0;
    for (const group of GROUPS) {
      for (const dir of readdirSync(join(ROOT, group))) {
        const base = join(ROOT, group, dir);
        const data = join(base, 'test_data_set_0');
        if (EXCLUDED.test(dir) || !existsSync(join(base, 'model.onnx')) || !existsSync(data)) continue;
        let graph = decodeOnnx(readFileSync(join(base, 'model.onnx')));
        models++;
        const initNames = new Set(graph.initializers.map((t) => t.name));
        const feeds = graph.inputs.filter((i) => !initNames.has(i.name));
        const inputShapes: Record<string, number[]> = {};
        const constants: Tensor[] = [];
        feeds.forEach((input, i) => {
          const t = readTensor(join(data, `input_${i}.pb`));
          if (!t) return;
          const n = t.dims.reduce((a, b) => a * b, 1);
          if (
            t.dataType !== DataType.STRING &&
            (t.dataType === DataType.INT64 || t.dataType === DataType.INT32 || n <= 16)
          )
            constants.push({ ...t, name: input.name });
          else inputShapes[input.name] = [...t.dims];
        });
        if (constants.length > 0) {
          const names = new Set(constants.map((t) => t.name));
          graph = {
            ...graph,
            inputs: graph.inputs.filter((i) => !names.has(i.name)),
            initializers: [...graph.initializers, ...constants],
          };
        }
        const supported = graph.nodes.every((n) => shapeRuleFor(n.opType, n.domain));
        let shapes;
        try {
          shapes = inferShapes(graph, { inputShapes, useValueInfo: false, file: `${group}/${dir}` });
        } catch (e) {
          problems.push(`${group}/${dir}: threw ${(e as Error).message}`);
          continue;
        }
        graph.outputs.forEach((output, i) => {
          const expected = readTensor(join(data, `output_${i}.pb`));
          if (!expected) return;
          const got = shapes.get(output.name);
          if (!got?.shape || got.shape.some((d) => typeof d !== 'number')) {
            if (supported) fullySupportedUnknown++;
            return;
          }
          if (got.shape.join() !== expected.dims.join())
            problems.push(`${group}/${dir} ${output.name}: shape [${got.shape}] ≠ [${expected.dims}]`);
          else if (got.dataType !== expected.dataType)
            problems.push(`${group}/${dir} ${output.name}: type ${got.dataType} ≠ ${expected.dataType}`);
          else matched++;
          if (got.value && expected.raw) {
            const want = Array.from(toNumbers(expected) as ArrayLike<number>);
            const close =
              want.length === got.value.length &&
              want.every(
                (x, k) =>
                  (Number.isNaN(x) && Number.isNaN(got.value![k])) ||
                  Math.abs(x - got.value![k]) <= 1e-5 * Math.max(1, Math.abs(x)),
              );
            if (!close)
              problems.push(
                `${group}/${dir} ${output.name}: value [${got.value.slice(0, 6)}…] ≠ [${want.slice(0, 6)}…]`,
              );
            else valuesChecked++;
          }
        });
      }
    }
    expect(problems).toEqual([]);
    expect(models).toBeGreaterThan(1000);
    expect(matched).toBeGreaterThan(900);
    expect(valuesChecked).toBeGreaterThan(250);
    // a few outputs are data dependent even with constant inputs (NonZero)
    expect(fullySupportedUnknown).toBeLessThan(5);
  });
});
