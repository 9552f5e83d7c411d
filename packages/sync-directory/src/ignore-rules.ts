import { MeridianError } from '@meridian/core';

interface Rule {
  pattern: string;
  regex: RegExp;
  negate: boolean;
  directoryOnly: boolean;
}

/**
 * Ignore patterns with gitignore's rules, minus escapes and per-directory
 * files: `*` matches within one path segment, `**` across segments, `?` one
 * character, `[abc]` a set; a pattern without a `/` (other than a trailing one)
 * matches a name at any depth, one with a `/` is anchored at the data path's
 * root; a trailing `/` matches directories only; `!` re-includes what an
 * earlier pattern excluded; the last pattern that matches decides. An ignored
 * directory is not entered, so nothing under it can be re-included.
 */
export class IgnoreRules {
  readonly #rules: Rule[];

  /** Compiles the patterns (blank lines and `#` comments skipped); `INVALID_CONFIG` for one that cannot match. */
  constructor(patterns: readonly string[]) {
    this.#rules = patterns.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#')).map(compile);
  }

  /** True when the relative path (`/`-separated) is ignored. */
  ignores(relativePath: string, isDirectory: boolean): boolean {
    let ignored = false;
    for (const rule of this.#rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.regex.test(relativePath)) ignored = !rule.negate;
    }
    return ignored;
  }
}

function compile(raw: string): Rule {
  let pattern = raw;
  const negate = pattern.startsWith('!');
  if (negate) pattern = pattern.slice(1);
  const directoryOnly = pattern.endsWith('/');
  if (directoryOnly) pattern = pattern.slice(0, -1);
  const anchored = pattern.includes('/');
  if (pattern.startsWith('/')) pattern = pattern.slice(1);
  if (pattern === '') throw new MeridianError('INVALID_CONFIG', `ignore pattern "${raw}" matches nothing`, { details: { where: 'sync.directory.ignore' } });
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` : any number of leading directories; a trailing or inner `**`: anything.
        if (pattern[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) throw new MeridianError('INVALID_CONFIG', `ignore pattern "${raw}" has an unclosed [`, { details: { where: 'sync.directory.ignore' } });
      const body = pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
      out += `[${body}]`;
      i = close;
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const regex = new RegExp(anchored ? `^${out}$` : `(?:^|/)${out}$`);
  return { pattern: raw, regex, negate, directoryOnly };
}
