// One lifecycle: SessionMigrator.close() and the autoEvacuate wiring's close()
// are idempotent and awaitable, `await using` ends them, old names still work.
import { randomBytes } from 'node:crypto';
import { type HealthEvents, type SessionAdapter } from '@meridian/core';
import { TypedEmitter } from '@meridian/core/spi';
import { autoEvacuate, MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { describe, expect, it } from 'vitest';

const codec = new SnapshotCodec({ keys: [{ id: 'test', key: randomBytes(32) }] });

/** An adapter whose snapshot hangs until its signal fires: a migration that is in flight until cancelled. */
function hangingAdapter(): SessionAdapter {
  const untilAborted = (signal: AbortSignal): Promise<never> =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  return {
    snapshot: (_s, { signal }) => untilAborted(signal!),
    suspend: async () => undefined,
    restore: async () => undefined,
    activate: async () => undefined,
    discard: async () => undefined,
  };
}

function migrator(): SessionMigrator {
  return new SessionMigrator({ adapter: hangingAdapter(), codec, store: new MemorySnapshotStore(), retries: 0 });
}

describe('SessionMigrator', () => {
  it('close() cancels migrations in flight and waits for them; idempotent; later calls get SHUT_DOWN; listeners stay', async () => {
    const m = migrator();
    const failed: string[] = [];
    m.on('session:migration-failed', (e) => failed.push(e.sessionId));
    m.register({ id: 's1', region: 'us-east' });
    const op = m.migrate('s1', 'eu-west');
    const first = m.close();
    expect(m.close()).toBe(first);
    await first;
    await expect(op.done).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
    expect(failed).toEqual(['s1']);
    expect(m.getSession('s1')).toMatchObject({ region: 'us-east', state: 'active' });
    expect(() => m.migrate('s1', 'eu-west')).toThrow(expect.objectContaining({ code: 'SHUT_DOWN' }));
    await expect(m.recover('s1', 'eu-west')).rejects.toMatchObject({ code: 'SHUT_DOWN' });
  });

  it('ends with await using', async () => {
    let kept: SessionMigrator;
    let op;
    {
      await using m = migrator();
      m.register({ id: 's1', region: 'us-east' });
      op = m.migrate('s1', 'eu-west');
      kept = m;
    }
    await expect(op.done).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
    expect(() => kept.migrate('s1', 'eu-west')).toThrow(expect.objectContaining({ code: 'SHUT_DOWN' }));
  });
});

describe('autoEvacuate wiring', () => {
  function wired() {
    const monitor = new TypedEmitter<HealthEvents>();
    const m = migrator();
    m.register({ id: 's1', region: 'us-east' });
    const outcomes: Array<{ trigger: string; failed: number }> = [];
    const wiring = autoEvacuate({ migrator: m, monitor, to: 'eu-west', onUnhealthy: 'evacuate', onOutcome: (o) => outcomes.push(o) });
    const unhealthy = () =>
      monitor.emit('region:unhealthy', { regionId: 'us-east', state: 'unhealthy', previous: 'healthy', reason: 'test', at: 0, health: {} as never });
    return { monitor, m, wiring, outcomes, unhealthy };
  }

  it('close() unwires, waits for the evacuation it started and is idempotent', async () => {
    const { m, wiring, outcomes, unhealthy } = wired();
    unhealthy();
    const closing = wiring.close();
    expect(wiring.close()).toBe(closing);
    await m.close(); // cancels the hanging migration, so the evacuation ends
    await closing;
    expect(outcomes).toEqual([{ trigger: 'region:unhealthy', action: 'evacuate', regionId: 'us-east', migrated: 0, recovered: 0, lost: 0, failed: 1 }]);
    unhealthy(); // unwired: nothing starts
    expect(outcomes).toHaveLength(1);
  });

  it('ends with await using, and keeps dispose() as a deprecated alias', async () => {
    const first = wired();
    {
      await using w = first.wiring;
      void w;
    }
    first.unhealthy();
    expect(first.m.sessions('us-east')[0]!.state).toBe('active');
    const second = wired();
    second.wiring.dispose();
    second.unhealthy();
    expect(second.m.sessions('us-east')[0]!.state).toBe('active');
  });
});
