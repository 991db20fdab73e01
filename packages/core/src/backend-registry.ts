import { ErrorCodes, MetacompressError } from './errors';

/**
 * A backend as registered: a name, the kind of work it does, a priority (higher wins; negative means
 * opt-in only, used only when asked for by name) and a lazy `init` that may fail.
 *
 * @example
 * registerBackend({ name: 'ort-web', kind: 'inference', priority: 10, init: async () => createOrtWebBackend() });
 */
export interface BackendRegistration<T = unknown> {
  name: string;
  kind: string;
  priority: number;
  init: () => T | Promise<T>;
}

interface Entry {
  registration: BackendRegistration;
  state?: { ok: true; value: Promise<unknown> } | { ok: false; reason: string };
}

/**
 * Backends of every kind, tried in priority order, initialized once; failures are cached and,
 * when nothing initializes, reported together in one error (as onnxruntime-web does).
 *
 * @example
 * const registry = new BackendRegistry();
 * registry.register({ name: 'tfjs-cpu', kind: 'differentiable', priority: 1, init: () => makeCpu() });
 * const backend = await registry.resolve('differentiable');
 */
export class BackendRegistry {
  private readonly entries = new Map<string, Entry>();

  /** Adds (or replaces) a backend. Replacing resets its cached init state. */
  register<T>(registration: BackendRegistration<T>): void {
    this.entries.set(`${registration.kind}:${registration.name}`, { registration });
  }

  /** Registered backends of a kind, highest priority first. */
  list(kind: string): BackendRegistration[] {
    return [...this.entries.values()]
      .map((e) => e.registration)
      .filter((r) => r.kind === kind)
      .sort((a, b) => b.priority - a.priority);
  }

  /**
   * The first backend of `kind` that initializes. With `names`, only those are tried, in that order
   * (this is how opt-in backends with a negative priority are used).
   */
  async resolve<T>(kind: string, names?: readonly string[]): Promise<T & { readonly name: string }> {
    const candidates = names
      ? names.map((name) => {
          const entry = this.entries.get(`${kind}:${name}`);
          if (!entry) {
            throw new MetacompressError(
              ErrorCodes.NO_BACKEND,
              `no ${kind} backend named '${name}'; registered: ${this.list(kind).map((r) => r.name).join(', ') || '(none)'}`,
              { backend: name },
            );
          }
          return entry;
        })
      : this.list(kind)
          .filter((r) => r.priority >= 0)
          .map((r) => this.entries.get(`${kind}:${r.name}`)!);
    const reasons: string[] = [];
    for (const entry of candidates) {
      const name = entry.registration.name;
      if (!entry.state) {
        try {
          const value = Promise.resolve(entry.registration.init());
          await value;
          entry.state = { ok: true, value };
        } catch (error) {
          entry.state = { ok: false, reason: error instanceof Error ? error.message : String(error) };
        }
      }
      if (entry.state.ok) return (await entry.state.value) as T & { readonly name: string };
      reasons.push(`${name}: ${entry.state.reason}`);
    }
    throw new MetacompressError(
      ErrorCodes.NO_BACKEND,
      reasons.length
        ? `no ${kind} backend could be initialized: ${reasons.join('; ')}`
        : `no ${kind} backend is registered (import a backend package such as @metacompress/backend-ort)`,
      {},
    );
  }
}

/** The process-wide registry that backend packages register into when imported. */
export const backends = new BackendRegistry();

/**
 * Registers a backend in the process-wide registry.
 *
 * @example
 * registerBackend({ name: 'tfjs-wasm', kind: 'differentiable', priority: 50, init: initWasm });
 */
export function registerBackend<T>(registration: BackendRegistration<T>): void {
  backends.register(registration);
}
