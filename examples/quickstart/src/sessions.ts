import { randomBytes } from 'node:crypto';
import type { Router } from '@meridian/core';
import { createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { Agent, request } from 'undici';
import { SAMPLE_CLIENTS } from './clients-by-ip.js';

/**
 * Creates `count` live sessions spread over `regions` (each held by its region
 * process) and a migrator that knows them, with a client IP each for routing.
 */
export async function startSessions(provider: LocalProvider, router: Router, regions: string[], count: number): Promise<SessionMigrator> {
  const migrator = new SessionMigrator({
    adapter: createLocalSessionAdapter(provider),
    // A real deployment loads the key from its secret store.
    codec: new SnapshotCodec({ keys: [{ id: 'demo', key: randomBytes(32) }] }),
    store: new MemorySnapshotStore(),
    router,
    concurrency: 32,
  });
  const agent = new Agent({ connections: 8 });
  try {
    for (let i = 0; i < count; i++) {
      const region = regions[i % regions.length]!;
      const client = SAMPLE_CLIENTS[i % (SAMPLE_CLIENTS.length - 1)]!; // skip the private-address sample
      const endpoint = provider.regions().find((r) => r.id === region)!.endpoint;
      const state = { user: `user-${i}`, cart: [i, i + 1], theme: i % 2 ? 'dark' : 'light' };
      const res = await request(`${endpoint}/sessions/session-${i}`, { method: 'PUT', body: JSON.stringify(state), dispatcher: agent });
      await res.body.dump();
      migrator.register({ id: `session-${i}`, region, metadata: { clientIp: client.ip } });
    }
  } finally {
    await agent.close();
  }
  return migrator;
}
