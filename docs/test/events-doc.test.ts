// docs/concepts/events.md lists every event of every engine, generated from the
// event map types: this fails when a map gains, loses or changes an event and the
// page was not regenerated.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENGINES, readEventMaps, readEventsDoc, renderEventTables, withTables } from '../../scripts/event-docs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

describe('docs/concepts/events.md', () => {
  const maps = readEventMaps();

  it('is what scripts/event-docs.ts generates from the event maps (run `npx tsx scripts/event-docs.ts` after changing one)', () => {
    const page = readEventsDoc();
    expect(page).toBe(withTables(page, renderEventTables(maps)));
  });

  it('names every event the issue found missing, each with its payload', () => {
    const page = readEventsDoc();
    for (const event of ['failover:started', 'region:evacuating', 'region:evacuated', 'session:migrated', 'request:retried', 'region:ejected']) {
      expect(page).toMatch(new RegExp(`\\| \`${event}\` \\| \`[A-Za-z]+`));
    }
  });

  it('covers every engine that has an event map (every TypedEmitter<…> in the packages)', () => {
    const emitted = new Set<string>();
    for (const pkg of readdirSync(join(root, 'packages'))) {
      for (const file of sourceFiles(join('packages', pkg, 'src'))) {
        for (const match of readFileSync(join(root, file), 'utf8').matchAll(/new TypedEmitter<(\w+)>/g)) emitted.add(match[1]!);
      }
    }
    expect([...emitted].sort()).toEqual(ENGINES.map((e) => e.map).sort());
    for (const rows of maps.values()) expect(rows.length).toBeGreaterThan(0);
  });
});
