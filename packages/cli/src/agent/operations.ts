import { randomBytes } from 'node:crypto';
import { HttpError } from './http-errors.js';

/** What the agent runs on a client's behalf and can cancel. */
export type OperationKind = 'deploy' | 'failover' | 'failback' | 'drill' | 'evacuate' | 'migrate';

/** An operation as `GET /v1/operations` shows it. */
export interface OperationInfo {
  /** The engine's id (`meridian cancel ID`). */
  id: string;
  /** What it is. */
  kind: OperationKind;
  /** `running`, then `completed`, `failed`, or `cancelled` (a cancel was asked for before it ended). */
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  /** When it started, epoch ms. */
  startedAt: number;
  /** When it ended, epoch ms. */
  finishedAt?: number;
  /** Why it failed, or what the cancel did. */
  error?: string;
  /** What it did, in a line, once it ended with a result (an evacuation: how many sessions moved, how many stayed). */
  outcome?: string;
  /** The reason given to cancel, if it was. */
  cancelReason?: string;
}

interface Entry {
  info: OperationInfo;
  cancel: (reason: string) => void;
  settled: Promise<void>;
}

/** Finished operations kept for `GET /v1/operations` and a late `cancel` answer. */
const HISTORY = 50;

/** A handle the engines return: id, cancel, and something that settles. */
export interface Cancellable {
  readonly id?: string;
  cancel(reason?: string): void;
}

/**
 * The agent's running operations by id, so a client that went away (Ctrl-C,
 * `--detach`) can cancel one later. Each engine rolls back on cancel as it does
 * on any abort; this only finds the operation and reports how it ended.
 */
export class Operations {
  readonly #entries = new Map<string, Entry>();

  /** Tracks an operation until it settles; returns its info (id generated when the engine gives none). */
  track<T>(kind: OperationKind, handle: Cancellable, done: PromiseLike<T>, summarize?: (result: T) => string, now = Date.now()): OperationInfo {
    const id = handle.id ?? `${kind}-${randomBytes(4).toString('hex')}`;
    const info: OperationInfo = { id, kind, state: 'running', startedAt: now };
    const finish = (state: 'completed' | 'failed', error?: string): void => {
      info.state = info.cancelReason !== undefined ? 'cancelled' : state;
      info.finishedAt = Date.now();
      if (error !== undefined) info.error = error;
      this.#trim();
    };
    const settled = Promise.resolve(done).then(
      (result) => {
        if (summarize) info.outcome = summarize(result);
        finish('completed');
      },
      (error: unknown) => finish('failed', error instanceof Error ? error.message : String(error)),
    );
    this.#entries.set(id, { info, cancel: (reason) => handle.cancel(reason), settled });
    return info;
  }

  /** Every tracked operation, running ones first, newest first. */
  list(): OperationInfo[] {
    const all = [...this.#entries.values()].map((e) => ({ ...e.info }));
    return all.sort((a, b) => Number(b.state === 'running') - Number(a.state === 'running') || b.startedAt - a.startedAt);
  }

  /**
   * Cancels a running operation and waits (at most `waitMillis`) for it to
   * settle, which includes its rollback. OPERATION_NOT_FOUND (404) for an
   * unknown id, OPERATION_FINISHED (409) for one that already ended.
   */
  async cancel(id: string, reason: string, waitMillis: number): Promise<OperationInfo> {
    const entry = this.#entries.get(id);
    if (!entry) {
      const running = this.list().filter((o) => o.state === 'running').map((o) => `${o.kind} ${o.id}`);
      throw new HttpError(404, 'OPERATION_NOT_FOUND', `no operation "${id}" on this agent; running: ${running.length ? running.join(', ') : 'none'} (meridian operations lists them)`);
    }
    if (entry.info.state !== 'running') {
      throw new HttpError(409, 'OPERATION_FINISHED', `${entry.info.kind} ${id} already ended (${entry.info.state}${entry.info.error ? `: ${entry.info.error}` : ''}); nothing to cancel`, { operation: { ...entry.info } });
    }
    entry.info.cancelReason ??= reason;
    entry.cancel(reason);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([entry.settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMillis)))]);
    clearTimeout(timer);
    return { ...entry.info };
  }

  #trim(): void {
    const finished = [...this.#entries.values()].filter((e) => e.info.state !== 'running');
    for (const e of finished.slice(0, Math.max(0, finished.length - HISTORY))) this.#entries.delete(e.info.id);
  }
}
