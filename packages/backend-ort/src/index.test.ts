import { describe, expect, it } from 'vitest';
import { backends, type InferenceBackend } from '@metacompress/core';
import type { Graph } from '@metacompress/ir';
import * as base from './base';

describe('package entry points', () => {
  it('base registers nothing; the index registers ort-node above ort-web', async () => {
    expect(backends.list('inference').map((r) => r.name)).toEqual([]);
    const index = await import('./index');
    expect(backends.list('inference').map((r) => [r.name, r.priority])).toEqual([
      [index.ORT_NODE, index.ORT_NODE_PRIORITY],
      [index.ORT_WEB, index.ORT_WEB_PRIORITY],
    ]);
    // The index exports exactly what base does.
    expect(Object.keys(index).sort()).toEqual(Object.keys(base).sort());
  });

  it('implements core’s InferenceBackend<Graph>', async () => {
    const backend: InferenceBackend<Graph> = base.createOrtBackend(await base.loadOrtWeb(), 'web');
    expect(backend.name).toBe('ort-web');
    expect(typeof backend.latency).toBe('function');
  });
});
