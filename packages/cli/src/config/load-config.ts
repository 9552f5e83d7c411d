import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { CliError, EXIT } from '../exit-codes.js';
import { configSchema, type MeridianConfig } from './config-schema.js';
import { configErrorMessage, formatPath, renderValue } from './format-issues.js';
import { parseSource } from './source-map.js';

/** File names looked for in the working directory, in this order. */
export const CONFIG_FILES = ['meridian.config.yaml', 'meridian.config.yml', 'meridian.config.json'];

/** A validated config and where it came from. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  path: string;
  /** The path as shown in messages (relative to the working directory when inside it). */
  displayPath: string;
  /** The config with defaults applied. */
  config: MeridianConfig;
  /** `file:line:col` of a path in the file, for errors found later (a missing database file ...). */
  where(path: ReadonlyArray<PropertyKey>): string;
}

/** Finds the config: `explicit` when given, else the one `meridian.config.*` in `cwd`. */
export function findConfig(cwd: string, explicit?: string): string {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new CliError(`${explicit}: no such config file`, EXIT.USAGE);
    return path;
  }
  const found = CONFIG_FILES.map((f) => join(cwd, f)).filter((f) => existsSync(f));
  if (found.length === 0) throw new CliError(`no config file: none of ${CONFIG_FILES.join(', ')} in ${cwd} (or pass --config PATH)`, EXIT.USAGE);
  if (found.length > 1) throw new CliError(`more than one config file in ${cwd} (${found.map((f) => relative(cwd, f)).join(', ')}); pass --config PATH`, EXIT.USAGE);
  return found[0]!;
}

/**
 * Reads, parses and validates the config. Every problem is a usage error
 * (exit 2) naming `file:line:col` and the path, e.g.
 * `meridian.config.yaml:12:5: regions[1].location.lat: must be <= 90 (got 123)`.
 */
export async function loadConfig(options: { cwd: string; path?: string }): Promise<LoadedConfig> {
  const path = findConfig(options.cwd, options.path);
  const rel = relative(options.cwd, path);
  const displayPath = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`${displayPath}: cannot read: ${(error as Error).message}`, EXIT.USAGE, { cause: error });
  }
  const source = parseSource(displayPath, text);
  const parsed = configSchema.safeParse(source.data, { error: configErrorMessage });
  if (!parsed.success) {
    const found = parsed.error.issues.map((issue) => {
      const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      const at = source.where(unknownKey === undefined ? issue.path : [...issue.path, unknownKey]);
      const value = valueAt(source.data, issue.path);
      // A credential's value is never shown, not even in an error.
      const secret = issue.code === 'custom' && (issue.params as { secret?: boolean } | undefined)?.secret === true;
      const got = issue.code === 'unrecognized_keys' || secret || value === undefined ? '' : ` (got ${renderValue(value)})`;
      return { at, text: `${at}: ${formatPath(issue.path)}: ${issue.message}${got}` };
    });
    // In file order, as an editor shows them.
    const key = (at: string): number[] => at.split(':').slice(-2).map(Number);
    found.sort((a, b) => key(a.at)[0]! - key(b.at)[0]! || key(a.at)[1]! - key(b.at)[1]!);
    const lines = found.slice(0, 20).map((f) => f.text);
    const more = parsed.error.issues.length > 20 ? `\n... and ${parsed.error.issues.length - 20} more` : '';
    throw new CliError(`${lines.join("\n")}${more}`, EXIT.USAGE);
  }
  return { path, displayPath, config: parsed.data, where: source.where };
}

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = data;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return cur;
}
