import { MeridianError } from '../errors/meridian-error.js';
import { redactUrlUserinfo } from './endpoint-url.js';

/** One failing option path, as reported in an INVALID_CONFIG error. */
export interface ConfigIssue {
  /** Dotted path with [index] for arrays, e.g. `regions[2].endpoint`. */
  path: string;
  /** What is wrong. */
  message: string;
  /** The offending value, rendered safely (secrets redacted, long values cut). */
  value: string;
}

// Keys whose values must never reach an error message or a log.
const SECRET_KEY = /secret|token|password|passwd|credential|key$|apikey|authorization/i;

/** Renders a path array as `a.b[2].c`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = input;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}

/**
 * Renders a value for an error message: short, and never a secret (values under
 * secret-looking keys are redacted, and so is the `user:password@` of any URL in it).
 */
export function renderValue(value: unknown, path: ReadonlyArray<PropertyKey> = []): string {
  if (path.some((p) => typeof p === 'string' && SECRET_KEY.test(p))) return '[redacted]';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return '[function]';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  // Before cutting: a cut could drop the "@" that marks user info and leave the password.
  text = redactUrlUserinfo(text);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The value as given; for an option left out, the default it resolved to (a
 * refine on a defaulted field judges that), so a message never says "got undefined"
 * about a value the caller did not write. Objects judged whole are not shown: a
 * refine on an object reports the object, not the field its path names.
 */
function renderIssueValue(input: unknown, issue: SchemaIssue): string {
  const given = valueAt(input, issue.path);
  if (given !== undefined) return renderValue(given, issue.path);
  const resolved = issue.input;
  if (resolved === undefined || (typeof resolved === 'object' && resolved !== null)) return renderValue(undefined, issue.path);
  return `${renderValue(resolved, issue.path)}, the default`;
}

/** Builds an INVALID_CONFIG error listing every issue with its path and value. */
export function invalidConfig(where: string, issues: ConfigIssue[], cause?: unknown): MeridianError {
  const lines = issues.map((i) => `  - ${i.path}: ${i.message} (got ${i.value})`);
  return new MeridianError('INVALID_CONFIG', `Invalid ${where}:\n${lines.join('\n')}`, {
    cause,
    details: { where, issues },
  });
}

/**
 * Anything with zod's `safeParse` shape. Typed structurally so that zod's own
 * types never appear in core's public declarations.
 */
export interface OptionsSchema<T> {
  /** Validates without throwing; with `reportInput` each issue carries the value it judged. */
  safeParse(input: unknown, params?: { reportInput?: boolean }): SchemaResult<T>;
}

/** One problem found by a schema. */
export interface SchemaIssue {
  /** Where, as keys and indexes. */
  path: ReadonlyArray<PropertyKey>;
  /** What is wrong. */
  message: string;
  /** The value judged, defaults applied (zod reports it when asked to with `reportInput`). */
  input?: unknown;
}

/** Outcome of {@link OptionsSchema.safeParse}. */
export type SchemaResult<T> = SchemaSuccess<T> | SchemaFailure;

/** A value that passed. */
export interface SchemaSuccess<T> {
  /** Always true. */
  success: true;
  /** The parsed value, defaults applied. */
  data: T;
}

/** A value that failed. */
export interface SchemaFailure {
  /** Always false. */
  success: false;
  /** The issues found. */
  error: {
    /** Every problem, in order. */
    issues: ReadonlyArray<SchemaIssue>;
  };
}

/**
 * Validates `input` against a schema (zod) at an API edge. On failure throws
 * INVALID_CONFIG naming every failing path and its value.
 */
export function parseOptions<T>(schema: OptionsSchema<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
    value: renderIssueValue(input, issue),
  }));
  throw invalidConfig(where, issues, result.error);
}
