import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { readKerasTopology } from './keras-topology';
import { parseTfjsModelJson } from './model-json';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('readKerasTopology', () => {
  it('Sequential without an InputLayer: the input comes from the first layer (Keras 2 list form too)', () => {
    const topo = readKerasTopology({
      class_name: 'Sequential',
      config: [
        { class_name: 'Dense', config: { name: 'a', units: 2, batch_input_shape: [null, 3] } },
        { class_name: 'Dense', config: { name: 'b', units: 1 } },
      ],
    });
    expect(topo.inputs.map((l) => [l.name, l.config.batch_input_shape])).toEqual([['a_input', [null, 3]]]);
    expect(topo.calls.map((c) => [c.layer.name, c.inputs[0].layer])).toEqual([
      ['a', 'a_input'],
      ['b', 'a'],
    ]);
    expect(topo.outputs).toEqual([{ layer: 'b', node: 0, tensor: 0 }]);
  });

  it('functional layers listed out of order are called after their inputs', () => {
    const topo = readKerasTopology({
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          {
            class_name: 'Add',
            name: 'sum',
            config: { name: 'sum' },
            inbound_nodes: [
              [
                ['r1', 0, 0, {}],
                ['r2', 0, 0, {}],
              ],
            ],
          },
          { class_name: 'ReLU', name: 'r2', config: { name: 'r2' }, inbound_nodes: [[['r1', 0, 0, {}]]] },
          { class_name: 'ReLU', name: 'r1', config: { name: 'r1' }, inbound_nodes: [[['in', 0, 0, {}]]] },
          {
            class_name: 'InputLayer',
            name: 'in',
            config: { name: 'in', batch_input_shape: [null, 4] },
            inbound_nodes: [],
          },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['sum', 0, 0]],
      },
    });
    expect(topo.calls.map((c) => c.layer.name)).toEqual(['r1', 'r2', 'sum']);
  });

  it('model_config wrappers are unwrapped; nested models and graph models are refused clearly', () => {
    const json = parseTfjsModelJson({
      modelTopology: {
        model_config: {
          class_name: 'Sequential',
          config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, input_shape: [2] } }] },
        },
        training_config: {},
      },
      weightsManifest: [],
    });
    expect(readKerasTopology(json.modelTopology).inputs[0].config.batch_input_shape).toEqual([null, 2]);
    const nested = errorOf(() =>
      readKerasTopology({
        class_name: 'Sequential',
        config: { layers: [{ class_name: 'Sequential', config: { name: 'inner', layers: [] } }] },
      }),
    );
    expect(isMetacompressError(nested, 'MC_UNSUPPORTED_OP')).toBe(true);
    expect((nested as Error).message).toContain("node 'inner' (Sequential)");
    const graphModel = errorOf(() =>
      parseTfjsModelJson({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }),
    );
    expect(isMetacompressError(graphModel, 'MC_MODEL_INVALID')).toBe(true);
    expect(
      isMetacompressError(
        errorOf(() =>
          readKerasTopology({
            class_name: 'Sequential',
            config: { layers: [{ class_name: 'Dense', config: { name: 'd' } }] },
          }),
        ),
        'MC_MODEL_INVALID',
      ),
    ).toBe(true);
  });

  it('bad manifest entries: unknown dtypes and quantizations without scale are refused', () => {
    const base = { modelTopology: { class_name: 'Sequential', config: { layers: [] } } };
    const dtype = errorOf(() =>
      parseTfjsModelJson({
        ...base,
        weightsManifest: [{ paths: ['a'], weights: [{ name: 'w', shape: [1], dtype: 'complex64' }] }],
      }),
    );
    expect(isMetacompressError(dtype, 'MC_UNSUPPORTED_DTYPE')).toBe(true);
    const quant = errorOf(() =>
      parseTfjsModelJson({
        ...base,
        weightsManifest: [
          {
            paths: ['a'],
            weights: [{ name: 'w', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } }],
          },
        ],
      }),
    );
    expect(isMetacompressError(quant, 'MC_MODEL_INVALID')).toBe(true);
    const shape = errorOf(() =>
      parseTfjsModelJson({
        ...base,
        weightsManifest: [{ paths: ['a'], weights: [{ name: 'w', shape: [-1] }] }],
      }),
    );
    expect(isMetacompressError(shape, 'MC_MODEL_INVALID')).toBe(true);
  });
});
