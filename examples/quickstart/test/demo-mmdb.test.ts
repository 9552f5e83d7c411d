import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { demoMmdb } from '../../../scripts/make-demo-mmdb.js';

describe('demo MMDB', () => {
  it('the committed file is exactly what testkit writes today (run scripts/make-demo-mmdb.ts to refresh)', () => {
    for (const example of ['quickstart', 'http-app']) {
      const committed = readFileSync(fileURLToPath(new URL(`../../${example}/data/demo-city.mmdb`, import.meta.url)));
      expect(committed.equals(demoMmdb()), example).toBe(true);
    }
  });
});
