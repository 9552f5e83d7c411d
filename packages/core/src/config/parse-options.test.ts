import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { meridianErrorOf as catchError } from '@meridian/testkit';
import { formatPath, parseOptions } from './parse-options.js';

describe('parseOptions', () => {
  const schema = z.object({ a: z.number().positive(), list: z.array(z.object({ url: z.string().url() })), apiToken: z.string().min(40) });

  it('lists every failing path with its value in one INVALID_CONFIG error', () => {
    const error = catchError(() => parseOptions(schema, { a: -1, list: [{ url: 'ok?' }], apiToken: 'short' }, 'test options'));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('Invalid test options');
    expect(error.message).toMatch(/a: .* \(got -1\)/);
    expect(error.message).toMatch(/list\[0\]\.url: .* \(got "ok\?"\)/);
    const issues = error.details.issues as Array<{ path: string }>;
    expect(issues.map((i) => i.path)).toEqual(['a', 'list[0].url', 'apiToken']);
  });

  it('never prints the value of a secret-looking option', () => {
    const error = catchError(() => parseOptions(schema, { a: 1, list: [], apiToken: 'hunter2-super-secret' }, 'test options'));
    expect(error.message).toContain('apiToken');
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain('hunter2');
  });

  it('formats paths with indexes', () => {
    expect(formatPath(['regions', 2, 'location', 'lat'])).toBe('regions[2].location.lat');
    expect(formatPath([1, 'id'])).toBe('[1].id');
    expect(formatPath([])).toBe('(root)');
  });
});
