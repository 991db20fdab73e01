import { describe, expect, it } from 'vitest';
import type { OrtSession } from './ort-module';
import { SessionCache } from './session-cache';

function fakeFactory() {
  const created: Uint8Array[] = [];
  const released: number[] = [];
  const create = async (bytes: Uint8Array): Promise<OrtSession> => {
    const id = created.push(bytes) - 1;
    return { id, release: async () => void released.push(id) } as unknown as OrtSession;
  };
  return { created, released, create };
}

const idOf = (s: OrtSession) => (s as unknown as { id: number }).id;

describe('SessionCache', () => {
  it('creates one session per model object and variant, encoding only on a miss', async () => {
    const f = fakeFactory();
    const cache = new SessionCache(f.create, 4);
    const model = { name: 'g' };
    let encodes = 0;
    const bytes = () => (encodes++, new Uint8Array([1, 2, 3]));
    const a = await cache.use(model, '', bytes, async (s) => idOf(s));
    const b = await cache.use(model, '', bytes, async (s) => idOf(s));
    expect(a).toBe(b);
    expect(encodes).toBe(1);
    await cache.use(model, '["x"]', () => new Uint8Array([1, 2, 3, 4]), async () => undefined);
    expect(f.created).toHaveLength(2);
    expect(cache.size).toBe(2);
  });

  it('shares a session between different objects holding equal bytes', async () => {
    const f = fakeFactory();
    const cache = new SessionCache(f.create, 4);
    const a = await cache.use(new Uint8Array([9, 9]), '', () => new Uint8Array([9, 9]), async (s) => idOf(s));
    const b = await cache.use(new Uint8Array([9, 9]), '', () => new Uint8Array([9, 9]), async (s) => idOf(s));
    expect(a).toBe(b);
    expect(f.created).toHaveLength(1);
  });

  it('releases least recently used sessions, but not while they are in use', async () => {
    const f = fakeFactory();
    const cache = new SessionCache(f.create, 1);
    const first = { n: 1 };
    const second = { n: 2 };
    let releasedDuringWork: number[] = [];
    await cache.use(first, '', () => new Uint8Array([1]), async () => {
      await cache.use(second, '', () => new Uint8Array([2]), async () => undefined);
      releasedDuringWork = [...f.released];
    });
    expect(releasedDuringWork).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    expect(f.released).toEqual([0]);
    expect(cache.size).toBe(1);
    await cache.clear();
    expect(f.released.sort()).toEqual([0, 1]);
    expect(cache.size).toBe(0);
  });

  it('does not keep a failed creation', async () => {
    let attempts = 0;
    const cache = new SessionCache(async () => {
      attempts++;
      throw new Error('bad model');
    }, 2);
    const model = {};
    await expect(cache.use(model, '', () => new Uint8Array([0]), async () => 1)).rejects.toThrow('bad model');
    await expect(cache.use(model, '', () => new Uint8Array([0]), async () => 1)).rejects.toThrow('bad model');
    expect(attempts).toBe(2);
    expect(cache.size).toBe(0);
  });
});
