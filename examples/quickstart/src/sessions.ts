import { randomBytes } from 'node:crypto';
import type { Router } from '@meridian/core';
import { createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { MemorySnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { Agent, request } from 'undici';
import { SAMPLE_CLIENTS } from './clients-by-ip.js';

/** Live sessions, the migrator that knows them, and the checkpointer that keeps a copy of each. */
export interface DemoSessions {
  migrator: SessionMigrator;
  checkpointer: SessionCheckpointer;
}

/**
 * Creates `count` live sessions spread over `regions` (each held by its region
 * process) and a migrator that knows them, with a client IP each for routing;
 * a checkpointer writes every changed session to the snapshot store each second,
 * so the sessions of a region that dies can be restored elsewhere.
 */
export async function startSessions(provider: LocalProvider, router: Router, regions: string[], count: number): Promise<DemoSessions> {
  const adapter = createLocalSessionAdapter(provider);
  // A real deployment loads the key from its secret store.
  const codec = new SnapshotCodec({ keys: [{ id: 'demo', key: randomBytes(32) }] });
  const store = new MemorySnapshotStore();
  const migrator = new SessionMigrator({ adapter, codec, store, router, concurrency: 32 });
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
  const checkpointer = new SessionCheckpointer({ adapter, codec, store, source: migrator, checkpointIntervalMillis: 1_000, concurrency: 16 });
  await checkpointer.checkpointNow();
  await checkpointer.start();
  return { migrator, checkpointer };
}
