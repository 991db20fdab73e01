import { analyzeCoupling, costOf, dataTypeName, foldConstants, inferShapes, type Dim, type ValueInfo } from '@metacompress/ir';
import { defineCommand, UsageError } from '../command';
import { loadModel } from '../model-file';
import { formatBytes, formatCount, renderTable } from '../render/table';

function describeValue(v: ValueInfo): { name: string; type: string; shape: Dim[] | null } {
  const t = v.type;
  if (t?.kind !== 'tensor') return { name: v.name, type: t ? 'other' : 'unknown', shape: null };
  return { name: v.name, type: dataTypeName(t.elemType), shape: t.shape ? [...t.shape] : null };
}

const abbreviate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const shapeText = (shape: Dim[] | null) => (shape ? `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]` : '(unknown)');

/** `metacompress inspect <model>`: structure, cost and prunable groups of a model. */
export const inspectCommand = defineCommand({
  name: 'inspect',
  summary: 'Show inputs, outputs, ops, params, MACs, bytes and coupling groups of a model',
  usage: 'inspect <model.onnx|model.json> [--json]',
  options: {},
  details: 'MACs are per sample (batch 1). Groups are the channel sets pruning removes together.',
  async run({ positionals }, io, { json }) {
    if (positionals.length !== 1) throw new UsageError('expected exactly one model path');
    const { graph, path, format } = await loadModel(positionals[0], io.cwd);
    const folded = foldConstants(graph);
    const shapes = inferShapes(folded, { batchSize: 1 });
    const cost = costOf(folded, { batchSize: 1 });
    const groups = analyzeCoupling(folded, { shapes, batchSize: 1 });
    const initializerNames = new Set(graph.initializers.map((t) => t.name));
    const inputs = graph.inputs.filter((i) => !initializerNames.has(i.name)).map(describeValue);
    const outputs = graph.outputs.map(describeValue);
    const ops: Record<string, number> = {};
    for (const node of graph.nodes) {
      const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}:${node.opType}` : node.opType;
      ops[key] = (ops[key] ?? 0) + 1;
    }
    const report = {
      file: path,
      format,
      irVersion: graph.model.irVersion,
      opsets: graph.model.opsetImports,
      producer: [graph.model.producerName, graph.model.producerVersion].filter(Boolean).join(' ') || undefined,
      inputs,
      outputs,
      ops,
      nodes: graph.nodes.length,
      params: cost.params,
      macs: cost.macs,
      bytes: cost.bytes,
      groups: groups.map((g) => ({
        id: g.id,
        channels: g.channels,
        prunable: g.prunable,
        ...(g.reason ? { reason: g.reason } : {}),
        producers: g.producers,
        consumers: g.consumers,
      })),
    };
    if (json) {
      io.out(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    io.out(`${path} (${format}, IR ${report.irVersion}, opset ${graph.model.opsetImports.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}${report.producer ? `, by ${report.producer}` : ''})\n\n`);
    io.out(renderTable([['input', 'type', 'shape'], ...inputs.map((i) => [i.name, i.type, shapeText(i.shape)])]));
    io.out('\n');
    io.out(renderTable([['output', 'type', 'shape'], ...outputs.map((o) => [o.name, o.type, shapeText(o.shape)])]));
    io.out(`\nops (${graph.nodes.length} nodes): ${Object.entries(ops).map(([k, n]) => `${k}×${n}`).join(' ')}\n`);
    io.out(`params ${formatCount(cost.params)}   MACs/sample ${formatCount(cost.macs)}   weight bytes ${formatBytes(cost.bytes)}\n\n`);
    io.out(
      renderTable(
        [
          ['group', 'channels', 'prunable', 'producers → consumers'],
          ...groups.map((g) => [g.id, String(g.channels), g.prunable ? 'yes' : `no: ${g.reason ?? ''}`, abbreviate(`${g.producers.join(', ')} → ${g.consumers.join(', ') || '–'}`, 70)]),
        ],
        ['left', 'right', 'left', 'left'],
      ),
    );
    return 0;
  },
});
