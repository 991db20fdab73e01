/**
 * Stable error codes. Messages may change between versions; codes do not.
 * Plugins may use their own codes (any string starting with `MC_` or their own prefix).
 */
export const ErrorCodes = {
  /** An argument or option has the wrong type or is out of range. */
  INVALID_ARGUMENT: 'MC_INVALID_ARGUMENT',
  /** Policy text is not valid JSON. */
  POLICY_PARSE: 'MC_POLICY_PARSE',
  /** A policy field is missing or has a wrong value. */
  POLICY_INVALID: 'MC_POLICY_INVALID',
  /** A budget string or object is malformed. */
  BUDGET_INVALID: 'MC_BUDGET_INVALID',
  /** A policy or selector names a group that the graph does not have. */
  UNKNOWN_GROUP: 'MC_UNKNOWN_GROUP',
  /** A policy asks to prune a group that cannot be pruned safely. */
  GROUP_UNPRUNABLE: 'MC_GROUP_UNPRUNABLE',
  /** No policy meets the requested budget. */
  BUDGET_UNREACHABLE: 'MC_BUDGET_UNREACHABLE',
  /** A model file ends before its content does. */
  MODEL_TRUNCATED: 'MC_ONNX_TRUNCATED',
  /** A model file cannot be decoded (random bytes, wrong wire types). */
  MODEL_DECODE: 'MC_ONNX_DECODE',
  /** A model field has the wrong type or an impossible value. */
  MODEL_INVALID: 'MC_MODEL_INVALID',
  /** A tensor is too large to materialize (dims product over 2^31, or bigger than its data). */
  TENSOR_TOO_LARGE: 'MC_TENSOR_TOO_LARGE',
  /** An external-data path escapes the model folder or is absolute. */
  EXTERNAL_DATA_PATH: 'MC_EXTERNAL_DATA_PATH',
  /** An external-data file is missing or shorter than declared. */
  EXTERNAL_DATA_MISSING: 'MC_EXTERNAL_DATA_MISSING',
  /** Shapes disagree (weights vs inputs, dataset vs model input). */
  SHAPE_MISMATCH: 'MC_SHAPE_MISMATCH',
  /** An op is not supported for what was asked. */
  UNSUPPORTED_OP: 'MC_UNSUPPORTED_OP',
  /** A data type is not supported for what was asked. */
  UNSUPPORTED_DTYPE: 'MC_UNSUPPORTED_DTYPE',
  /** A weight tensor holds NaN or infinity. */
  NAN_WEIGHTS: 'MC_NAN_WEIGHTS',
  /** No registered backend could be initialized. */
  NO_BACKEND: 'MC_NO_BACKEND',
  /** A backend failed while running a graph. */
  BACKEND_FAILED: 'MC_BACKEND_FAILED',
  /** An operator threw; the message names the operator. */
  OPERATOR_FAILED: 'MC_OPERATOR_FAILED',
  /** An operator tried to mutate the graph it was given. */
  OPERATOR_MUTATED_INPUT: 'MC_OPERATOR_MUTATED_INPUT',
  /** A file does not exist. */
  FILE_NOT_FOUND: 'MC_FILE_NOT_FOUND',
  /** A directory was given where a file is expected (or the reverse). */
  NOT_A_FILE: 'MC_NOT_A_FILE',
  /** An output path would overwrite the input. */
  OUTPUT_IS_INPUT: 'MC_OUTPUT_IS_INPUT',
  /** A data file is malformed (bad magic number, wrong length). */
  DATA_FORMAT: 'MC_DATA_FORMAT',
  /** A label is outside the model's class range. */
  LABEL_OUT_OF_RANGE: 'MC_LABEL_OUT_OF_RANGE',
  /** A dataset is empty where data is required (calibration, fine-tune). */
  EMPTY_DATASET: 'MC_EMPTY_DATASET',
  /** A bit width is not supported by the chosen quantization scheme. */
  UNSUPPORTED_BITS: 'MC_UNSUPPORTED_BITS',
  /** A checkpoint cannot be read or does not match the job. */
  CHECKPOINT_INVALID: 'MC_CHECKPOINT_INVALID',
  /** A plugin could not be loaded or is not an operator. */
  PLUGIN_INVALID: 'MC_PLUGIN_INVALID',
  /** The job was cancelled through its AbortSignal. */
  ABORTED: 'MC_ABORTED',
} as const;

/** One of the built-in error codes, or a plugin's own code. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | (string & {});

/** Where an error happened: every field is optional, the message names those present. */
export interface ErrorDetails {
  file?: string;
  node?: string;
  opType?: string;
  field?: string;
  group?: string;
  operator?: string;
  backend?: string;
  [key: string]: unknown;
}

function describeWhere(d: ErrorDetails): string {
  const parts: string[] = [];
  if (d.operator) parts.push(`operator '${d.operator}'`);
  if (d.file) parts.push(`file '${d.file}'`);
  if (d.node) parts.push(`node '${d.node}'${d.opType ? ` (${d.opType})` : ''}`);
  else if (d.opType) parts.push(`op ${d.opType}`);
  if (d.group) parts.push(`group '${d.group}'`);
  if (d.field) parts.push(`field '${d.field}'`);
  if (d.backend) parts.push(`backend '${d.backend}'`);
  return parts.join(', ');
}

/**
 * The one error class of Metacompress: a stable `code`, a message that names what and where,
 * and structured `details` for programs.
 *
 * @example
 * throw new MetacompressError(ErrorCodes.UNKNOWN_GROUP, 'no such group', { group: 'conv9' });
 * // message: "MC_UNKNOWN_GROUP: no such group (group 'conv9')"
 */
export class MetacompressError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  /** The message without code and location, as given by the thrower. */
  readonly reason: string;

  constructor(code: ErrorCode, reason: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    const where = describeWhere(details);
    super(`${code}: ${reason}${where ? ` (${where})` : ''}`, options);
    this.name = 'MetacompressError';
    this.code = code;
    this.reason = reason;
    this.details = { ...details };
  }

  /** A copy of this error with more location details (existing ones win). */
  withDetails(more: ErrorDetails): MetacompressError {
    const merged = new MetacompressError(this.code, this.reason, { ...more, ...this.details }, { cause: this.cause });
    merged.stack = this.stack;
    return merged;
  }
}

/**
 * Type guard: is `value` a {@link MetacompressError}, optionally with the given code?
 *
 * @example
 * try { validatePolicy(json) } catch (e) { if (isMetacompressError(e, 'MC_POLICY_INVALID')) console.error(e.details.field) }
 */
export function isMetacompressError(value: unknown, code?: ErrorCode): value is MetacompressError {
  if (!(value instanceof Error)) return false;
  const candidate = value as Partial<MetacompressError>;
  if (value.name !== 'MetacompressError' || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}

/**
 * Throws a {@link MetacompressError} unless `condition` holds. The message is a function so that it
 * costs nothing on the happy path (as in tfjs' `assert`).
 *
 * @example
 * assert(ratio > 0 && ratio <= 1, ErrorCodes.INVALID_ARGUMENT, () => `ratio ${ratio} not in (0, 1]`, { field: 'ratio' });
 */
export function assert(
  condition: unknown,
  code: ErrorCode,
  message: () => string,
  details?: ErrorDetails,
): asserts condition {
  if (!condition) throw new MetacompressError(code, message(), details);
}
