import { describe, expect, it } from 'vitest';
import { BackendRegistry } from './backend-registry';

describe('BackendRegistry', () => {
  it('picks the highest priority backend that initializes, once', async () => {
    const registry = new BackendRegistry();
    let inits = 0;
    registry.register({ name: 'fast', kind: 'x', priority: 10, init: () => { throw new Error('native module missing'); } });
    registry.register({ name: 'slow', kind: 'x', priority: 1, init: () => ({ name: 'slow', n: ++inits }) });
    const first = await registry.resolve<{ n: number }>('x');
    const second = await registry.resolve<{ n: number }>('x');
    expect(first.name).toBe('slow');
    expect(second.n).toBe(1);
  });

  it('uses negative-priority backends only when asked by name', async () => {
    const registry = new BackendRegistry();
    registry.register({ name: 'optin', kind: 'x', priority: -1, init: () => ({ name: 'optin' }) });
    await expect(registry.resolve('x')).rejects.toThrow(/no x backend is registered/);
    expect((await registry.resolve('x', ['optin'])).name).toBe('optin');
    await expect(registry.resolve('x', ['nope'])).rejects.toMatchObject({ code: 'MC_NO_BACKEND' });
  });

  it('lists every reason in one error when nothing initializes', async () => {
    const registry = new BackendRegistry();
    registry.register({ name: 'a', kind: 'x', priority: 2, init: () => { throw new Error('reason A'); } });
    registry.register({ name: 'b', kind: 'x', priority: 1, init: async () => { throw new Error('reason B'); } });
    const error = await registry.resolve('x').catch((e) => e);
    expect(error.code).toBe('MC_NO_BACKEND');
    expect(error.message).toContain('a: reason A');
    expect(error.message).toContain('b: reason B');
  });
});
