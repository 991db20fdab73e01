import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { DEFAULT_ENGINE_ORDER, engineOrderFromEnv, resolveEngineOrder, toEngineName } from './engine-names';

describe('engine names', () => {
  it('accepts short and full names, case-insensitively', () => {
    expect(toEngineName('wasm')).toBe('tfjs-wasm');
    expect(toEngineName(' CPU ')).toBe('tfjs-cpu');
    expect(toEngineName('node')).toBe('tfjs-node');
    expect(toEngineName('tfjs-wasm')).toBe('tfjs-wasm');
  });

  it('rejects unknown names with MC_INVALID_ARGUMENT naming the field', () => {
    let error: unknown;
    try {
      toEngineName('webgl', 'METACOMPRESS_TFJS_BACKEND');
    } catch (e) {
      error = e;
    }
    expect(isMetacompressError(error) && error.code).toBe('MC_INVALID_ARGUMENT');
    expect(String(error)).toContain("'webgl'");
    expect(String(error)).toContain('METACOMPRESS_TFJS_BACKEND');
  });

  it('reads a list from the environment variable, ignoring blanks and duplicates', () => {
    expect(engineOrderFromEnv({ METACOMPRESS_TFJS_BACKEND: 'cpu, wasm,,cpu' })).toEqual([
      'tfjs-cpu',
      'tfjs-wasm',
    ]);
    expect(engineOrderFromEnv({ METACOMPRESS_TFJS_BACKEND: '  ' })).toBeUndefined();
    expect(engineOrderFromEnv({})).toBeUndefined();
  });

  it('prefers the option over the environment over the default', () => {
    const env = { METACOMPRESS_TFJS_BACKEND: 'cpu' };
    expect(resolveEngineOrder(['wasm'], env)).toEqual({ order: ['tfjs-wasm'], source: 'option' });
    expect(resolveEngineOrder(undefined, env)).toEqual({ order: ['tfjs-cpu'], source: 'env' });
    expect(resolveEngineOrder([], {})).toEqual({ order: [...DEFAULT_ENGINE_ORDER], source: 'default' });
    expect(DEFAULT_ENGINE_ORDER).toEqual(['tfjs-node', 'tfjs-wasm', 'tfjs-cpu']);
  });
});
