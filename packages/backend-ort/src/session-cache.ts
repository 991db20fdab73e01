import { createHash } from 'node:crypto';
import type { OrtSession } from './ort-module';

interface Slot {
  session: Promise<OrtSession>;
  users: number;
  evicted: boolean;
}

/**
 * onnxruntime sessions kept per model, so that a model is parsed and optimized once and the wasm
 * engine's memory is not exhausted: at most `capacity` sessions live at a time (least recently
 * used are released first, once nobody is using them). Models are looked up by object identity
 * (a `Graph` or a `Uint8Array`) and, failing that, by a SHA-256 of their bytes, so a graph is
 * encoded only once per set of requested outputs.
 *
 * @example
 * const cache = new SessionCache((bytes) => ort.InferenceSession.create(bytes), 8);
 * const logits = await cache.use(graph, '', () => encodeOnnx(graph), (session) => session.run(feeds));
 */
export class SessionCache {
  private readonly slots = new Map<string, Slot>();
  private readonly keysByModel = new WeakMap<object, Map<string, string>>();

  constructor(
    private readonly create: (bytes: Uint8Array, model: object) => Promise<OrtSession>,
    readonly capacity = 8,
  ) {}

  /** Number of sessions currently held. */
  get size(): number {
    return this.slots.size;
  }

  /**
   * Runs `work` with the session for (`model`, `variant`), creating it from `bytes()` when needed.
   * The session is not released while `work` runs, even if it is evicted meanwhile.
   */
  async use<T>(model: object, variant: string, bytes: () => Uint8Array, work: (session: OrtSession) => Promise<T>): Promise<T> {
    const slot = this.slotFor(model, variant, bytes);
    slot.users++;
    try {
      return await work(await slot.session);
    } finally {
      slot.users--;
      if (slot.evicted && slot.users === 0) void this.dispose(slot);
    }
  }

  /** Releases every session (those in use are released when their work ends). */
  async clear(): Promise<void> {
    const slots = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(
      slots.map((slot) => {
        slot.evicted = true;
        return slot.users === 0 ? this.dispose(slot) : undefined;
      }),
    );
  }

  private slotFor(model: object, variant: string, bytes: () => Uint8Array): Slot {
    let variants = this.keysByModel.get(model);
    const known = variants?.get(variant);
    if (known !== undefined) {
      const slot = this.slots.get(known);
      if (slot) {
        this.touch(known, slot);
        return slot;
      }
    }
    const data = bytes();
    const key = createHash('sha256').update(data).digest('hex');
    if (!variants) {
      variants = new Map();
      this.keysByModel.set(model, variants);
    }
    variants.set(variant, key);
    const existing = this.slots.get(key);
    if (existing) {
      this.touch(key, existing);
      return existing;
    }
    const slot: Slot = { session: this.create(data, model), users: 0, evicted: false };
    // Failed creations are not kept: the next call tries again and reports its own error.
    slot.session.catch(() => {
      if (this.slots.get(key) === slot) this.slots.delete(key);
    });
    this.slots.set(key, slot);
    this.evict();
    return slot;
  }

  private touch(key: string, slot: Slot): void {
    this.slots.delete(key);
    this.slots.set(key, slot);
  }

  private evict(): void {
    while (this.slots.size > Math.max(1, this.capacity)) {
      const [key, slot] = this.slots.entries().next().value as [string, Slot];
      this.slots.delete(key);
      slot.evicted = true;
      if (slot.users === 0) void this.dispose(slot);
    }
  }

  private async dispose(slot: Slot): Promise<void> {
    try {
      await (await slot.session).release();
    } catch {
      // A session that failed to create, or is already released, has nothing to free.
    }
  }
}
