import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError, describe } from '@metacompress/core';
import type { NamedArray } from '../checkpoint/named-array';

/**
 * An optimizer as plain, JSON-serializable data.
 *
 * - `sgd`: SGD with optional (Nesterov) momentum and L2 weight decay added to the gradient.
 * - `adam`: Adam (Kingma & Ba 2015); with `weightDecay` > 0 the decay is decoupled, i.e. AdamW
 *   (Loshchilov & Hutter 2019).
 *
 * @example
 * const config: OptimizerConfig = { kind: 'adam', weightDecay: 1e-4 };
 */
export type OptimizerConfig =
  | { kind: 'sgd'; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { kind: 'adam'; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number };

/**
 * A trainable tensor and the name it is saved under.
 *
 * @example
 * const p: NamedVariable = { name: 'conv1.weight', variable: tf.variable(tf.zeros([8, 1, 3, 3])) };
 */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

/**
 * Updates variables from gradients. Its whole state (moments, step count) can be read out and
 * loaded back, which is what makes a resumed fine-tune continue exactly.
 *
 * @example
 * const opt: Optimizer = createOptimizer({ kind: 'adam' }); const saved = opt.state();
 */
export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Number of updates applied so far. */
  readonly updates: number;
  /** Applies one update with learning rate `lr`; `grads[i]` belongs to `params[i]`. */
  apply(params: readonly NamedVariable[], grads: readonly tf.Tensor[], lr: number): void;
  /** A copy of the state, by slot name (`<param>/m`, `<param>/v`, `<param>/momentum`, `updates`). */
  state(): NamedArray[];
  /** Restores a state read with {@link Optimizer.state}; throws `MC_CHECKPOINT_INVALID` when it does not fit. */
  load(state: readonly NamedArray[], params: readonly NamedVariable[]): void;
  dispose(): void;
}

function num(
  config: Record<string, unknown>,
  key: string,
  fallback: number,
  lo: number,
  hi: number,
  open = false,
): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (open && (v === lo || v === hi))) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `expected a number in ${open ? '(' : '['}${lo}, ${hi}${open ? ')' : ']'}, got ${describe(v)}`,
      { field: `optimizer.${key}` },
    );
  }
  return v;
}

/**
 * Creates an {@link Optimizer}. Updates run in a fixed order, so two runs on the same engine give
 * identical weights.
 *
 * @example
 * const opt = createOptimizer({ kind: 'sgd', momentum: 0.9, nesterov: true });
 * const { grads } = tf.variableGrads(() => loss(), vars.map((v) => v.variable));
 * opt.apply(vars, vars.map((v) => grads[v.variable.name]), 0.01);
 */
export function createOptimizer(config: OptimizerConfig): Optimizer {
  const raw = config as unknown as Record<string, unknown>;
  if (config.kind !== 'sgd' && config.kind !== 'adam') {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `unknown optimizer ${describe(raw.kind)}; use sgd or adam`,
      { field: 'optimizer.kind' },
    );
  }
  const weightDecay = num(raw, 'weightDecay', 0, 0, 1);
  const slots = new Map<string, tf.Tensor>();
  let updates = 0;
  const slotNames = (p: string): string[] =>
    config.kind === 'adam' ? [`${p}/m`, `${p}/v`] : (config.momentum ?? 0) > 0 ? [`${p}/momentum`] : [];
  const setSlot = (name: string, value: tf.Tensor) => {
    slots.get(name)?.dispose();
    slots.set(name, tf.keep(value));
  };
  const slotOf = (name: string, like: tf.Tensor): tf.Tensor => slots.get(name) ?? tf.zerosLike(like);

  let update: (p: NamedVariable, g: tf.Tensor, lr: number, t: number) => void;
  if (config.kind === 'sgd') {
    const momentum = num(raw, 'momentum', 0, 0, 1, false);
    const nesterov = config.nesterov ?? false;
    update = ({ name, variable }, g0, lr) => {
      let g = weightDecay > 0 ? tf.add(g0, tf.mul(variable, weightDecay)) : g0;
      if (momentum > 0) {
        const buf = tf.add(tf.mul(slotOf(`${name}/momentum`, variable), momentum), g);
        setSlot(`${name}/momentum`, buf);
        g = nesterov ? tf.add(g, tf.mul(buf, momentum)) : buf;
      }
      variable.assign(tf.sub(variable, tf.mul(g, lr)));
    };
  } else {
    const beta1 = num(raw, 'beta1', 0.9, 0, 1, true);
    const beta2 = num(raw, 'beta2', 0.999, 0, 1, true);
    const epsilon = num(raw, 'epsilon', 1e-8, 0, 1, true);
    update = ({ name, variable }, g, lr, t) => {
      const m = tf.add(tf.mul(slotOf(`${name}/m`, variable), beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(slotOf(`${name}/v`, variable), beta2), tf.mul(tf.square(g), 1 - beta2));
      setSlot(`${name}/m`, m);
      setSlot(`${name}/v`, v);
      const mHat = tf.div(m, 1 - Math.pow(beta1, t));
      const vHat = tf.div(v, 1 - Math.pow(beta2, t));
      let next = tf.sub(variable, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), lr));
      if (weightDecay > 0) next = tf.sub(next, tf.mul(variable, lr * weightDecay));
      variable.assign(next);
    };
  }

  return {
    config,
    get updates() {
      return updates;
    },
    apply(params, grads, lr) {
      if (grads.length !== params.length) {
        throw new MetacompressError(
          ErrorCodes.INVALID_ARGUMENT,
          `${grads.length} gradients for ${params.length} parameters`,
          { field: 'grads' },
        );
      }
      updates++;
      tf.tidy(() => params.forEach((p, i) => update(p, grads[i]!, lr, updates)));
    },
    state() {
      const out: NamedArray[] = [{ name: 'updates', dims: [], data: new Float32Array([updates]) }];
      for (const [name, t] of [...slots.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        out.push({ name, dims: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) });
      }
      return out;
    },
    load(state, params) {
      const byName = new Map(state.map((s) => [s.name, s]));
      const count = byName.get('updates');
      if (!count || count.data.length !== 1 || !Number.isInteger(count.data[0])) {
        throw new MetacompressError(ErrorCodes.CHECKPOINT_INVALID, 'optimizer state lacks its update count', {
          field: 'optimizer.updates',
        });
      }
      const expected = new Set(params.flatMap((p) => slotNames(p.name)));
      const next = new Map<string, tf.Tensor>();
      for (const s of state) {
        if (s.name === 'updates') continue;
        const owner = params.find((p) => slotNames(p.name).includes(s.name));
        if (!expected.has(s.name) || !owner) {
          throw new MetacompressError(
            ErrorCodes.CHECKPOINT_INVALID,
            `optimizer slot '${s.name}' belongs to no parameter of this ${config.kind} run`,
            {
              field: 'optimizer',
            },
          );
        }
        const shape = owner.variable.shape;
        if (shape.length !== s.dims.length || shape.some((d, i) => d !== s.dims[i])) {
          throw new MetacompressError(
            ErrorCodes.CHECKPOINT_INVALID,
            `optimizer slot '${s.name}' has shape [${s.dims.join(', ')}], the parameter has [${shape.join(', ')}]`,
            { field: 'optimizer' },
          );
        }
        next.set(s.name, tf.keep(tf.tensor(s.data, [...s.dims])));
      }
      for (const t of slots.values()) t.dispose();
      slots.clear();
      for (const [k, v] of next) slots.set(k, v);
      updates = count.data[0]!;
    },
    dispose() {
      for (const t of slots.values()) t.dispose();
      slots.clear();
    },
  };
}
