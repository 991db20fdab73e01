import { describe } from './budget';
import { ErrorCodes, MetacompressError } from './errors';

/** One option of an operator: how to parse it, its default and a line of help. */
export interface OptionSpec<T> {
  readonly kind: string;
  readonly description: string;
  readonly default: T;
  /** Parses an untrusted value (from JSON config or the command line); `path` names it in errors. */
  parse(value: unknown, path: string): T;
}

/** A record of option specs, e.g. `{ roundTo: option.integer(...) }`. */
export type OptionsSchema = Record<string, OptionSpec<unknown>>;

/** The option values a schema describes. */
export type OptionsOf<S extends OptionsSchema> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

function bad(path: string, expected: string, value: unknown): never {
  throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected ${expected}, got ${describe(value)}`, { field: path });
}

function fromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const t = value.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  return value;
}

/**
 * Builders for typed, self-describing operator options. Strings from the command line are coerced.
 *
 * @example
 * const schema = { roundTo: option.integer('round channel counts to a multiple of this', 1, { min: 1 }) };
 * parseOptions(schema, { roundTo: '8' }, 'prune'); // { roundTo: 8 }
 */
export const option = {
  number(description: string, defaultValue: number, range: { min?: number; max?: number } = {}): OptionSpec<number> {
    return {
      kind: 'number',
      description,
      default: defaultValue,
      parse(value, path) {
        const v = fromText(value);
        if (typeof v !== 'number' || !Number.isFinite(v)) bad(path, 'a finite number', value);
        if (range.min !== undefined && v < range.min) bad(path, `a number ≥ ${range.min}`, value);
        if (range.max !== undefined && v > range.max) bad(path, `a number ≤ ${range.max}`, value);
        return v;
      },
    };
  },
  integer(description: string, defaultValue: number, range: { min?: number; max?: number } = {}): OptionSpec<number> {
    const base = option.number(description, defaultValue, range);
    return {
      ...base,
      kind: 'integer',
      parse(value, path) {
        const v = base.parse(value, path);
        if (!Number.isInteger(v)) bad(path, 'an integer', value);
        return v;
      },
    };
  },
  boolean(description: string, defaultValue: boolean): OptionSpec<boolean> {
    return {
      kind: 'boolean',
      description,
      default: defaultValue,
      parse(value, path) {
        const v = fromText(value);
        if (typeof v !== 'boolean') bad(path, 'true or false', value);
        return v;
      },
    };
  },
  string(description: string, defaultValue: string): OptionSpec<string> {
    return {
      kind: 'string',
      description,
      default: defaultValue,
      parse(value, path) {
        if (typeof value !== 'string') bad(path, 'a string', value);
        return value;
      },
    };
  },
  enum<const T extends string>(description: string, values: readonly T[], defaultValue: T): OptionSpec<T> {
    return {
      kind: `enum(${values.join('|')})`,
      description,
      default: defaultValue,
      parse(value, path) {
        if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
          bad(path, `one of ${values.join(', ')}`, value);
        }
        return value as T;
      },
    };
  },
  stringList(description: string, defaultValue: string[] = []): OptionSpec<string[]> {
    return {
      kind: 'string[]',
      description,
      default: defaultValue,
      parse(value, path) {
        if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) bad(path, 'a list of strings', value);
        return [...(value as string[])];
      },
    };
  },
  /** An option whose value is passed through after a custom check (e.g. a selector object). */
  custom<T>(description: string, defaultValue: T, parse: (value: unknown, path: string) => T): OptionSpec<T> {
    return { kind: 'custom', description, default: defaultValue, parse };
  },
};

/**
 * Parses raw option values against a schema: unknown keys are rejected, missing keys get defaults.
 *
 * @example
 * parseOptions({ bits: option.enum('bits', ['8', '4'], '8') }, { bits: '4' }, 'quantize'); // { bits: '4' }
 */
export function parseOptions<S extends OptionsSchema>(schema: S, raw: unknown, owner: string): OptionsOf<S> {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) bad(`${owner}.options`, 'an object', raw);
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(key in schema)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `unknown option '${key}'; known options: ${Object.keys(schema).join(', ') || '(none)'}`,
        { field: `${owner}.options.${key}`, operator: owner },
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    out[key] = input[key] === undefined ? spec.default : spec.parse(input[key], `${owner}.options.${key}`);
  }
  return out as OptionsOf<S>;
}
