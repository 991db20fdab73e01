import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { DataType, decodeOnnx, encodeOnnx } from '@metacompress/ir';
import { appendGraphOutputs, modelBytes, withExtraOutputs } from './model-bytes';
import { mlpGraph } from './test-graphs';

describe('extra outputs', () => {
  it('adds outputs to a copy with declared types where known', () => {
    const { graph } = mlpGraph(0, { inputs: 3, hidden: 2, classes: 2 });
    const withInfo = { ...graph, valueInfo: [{ name: 'pre', type: { kind: 'tensor' as const, elemType: DataType.FLOAT, shape: ['N', 2] } }] };
    const probed = withExtraOutputs(withInfo, ['pre', 'hidden', 'logits', 'w1', 'hidden']);
    expect(probed.outputs.map((o) => o.name)).toEqual(['logits', 'pre', 'hidden', 'w1']);
    expect(probed.outputs[1].type).toEqual({ kind: 'tensor', elemType: DataType.FLOAT, shape: ['N', 2] });
    expect(probed.outputs[2].type).toBeUndefined();
    expect(probed.outputs[3].type).toEqual({ kind: 'tensor', elemType: DataType.FLOAT, shape: [3, 2] });
    expect(withInfo.outputs).toHaveLength(1);
    expect(probed.nodes).toBe(withInfo.nodes);
    expect(withExtraOutputs(graph, ['logits'])).toBe(graph);
  });

  it('rejects names the graph does not define', () => {
    const { graph } = mlpGraph(0, { inputs: 3, hidden: 2, classes: 2 });
    let error: unknown;
    try {
      withExtraOutputs(graph, ['nowhere']);
    } catch (e) {
      error = e;
    }
    expect(isMetacompressError(error, 'MC_INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain("'nowhere'");
  });

  it('appends outputs to ONNX bytes so that a decoder sees them', () => {
    const { graph } = mlpGraph(0, { inputs: 3, hidden: 2, classes: 2 });
    const bytes = encodeOnnx(graph);
    const longName = 'x'.repeat(200);
    const appended = appendGraphOutputs(bytes, ['pre', longName]);
    expect(appended.subarray(0, bytes.length)).toEqual(bytes);
    const decoded = decodeOnnx(appended);
    expect(decoded.outputs.map((o) => o.name)).toEqual(['logits', 'pre', longName]);
    expect(decoded.nodes).toHaveLength(graph.nodes.length);
    expect(appendGraphOutputs(bytes, [])).toBe(bytes);
  });

  it('encodes graphs and passes bytes through', () => {
    const { graph } = mlpGraph(0, { inputs: 3, hidden: 2, classes: 2 });
    const bytes = modelBytes(graph, ['hidden']);
    expect(decodeOnnx(bytes).outputs.map((o) => o.name)).toEqual(['logits', 'hidden']);
    const raw = encodeOnnx(graph);
    expect(modelBytes(raw)).toBe(raw);
  });
});
