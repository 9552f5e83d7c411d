import { fork, type ChildProcess } from 'node:child_process';
import { MeridianError } from '@meridian/core';
import type { LocalFault } from './fault.js';

/** How to start one region process. */
export interface RegionProcessSpec {
  regionId: string;
  host: string;
  port: number;
  env: Record<string, string>;
  seed: number;
  workerPath: string;
  startTimeoutMillis: number;
  /** Root of the regions' session files (`LocalProviderOptions.dataDir`); none: memory only. */
  dataDir?: string;
}

/** A started region process. */
export interface ReadyInfo {
  host: string;
  port: number;
  pid: number;
}

const STDERR_TAIL = 4096;

/**
 * One child process serving a region on loopback, talked to over IPC. Knows how
 * to start (resolving once the server listens), inject a fault (resolving once
 * the child applied it), and end (SIGTERM, then SIGKILL after a grace period).
 */
export class RegionProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<ReadyInfo>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = '';
  #nextAck = 0;
  #acks = new Map<number, () => void>();
  #exitedFlag = false;

  constructor(spec: RegionProcessSpec, signal?: AbortSignal) {
    this.child = fork(spec.workerPath, [], {
      env: {
        ...spec.env,
        MERIDIAN_REGION_ID: spec.regionId,
        MERIDIAN_HOST: spec.host,
        MERIDIAN_PORT: String(spec.port),
        MERIDIAN_SEED: String(spec.seed),
        // Always set (empty: memory only), so a MERIDIAN_DATA_DIR in the deploy env cannot turn persistence on.
        MERIDIAN_DATA_DIR: spec.dataDir ?? '',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, sig) => {
        this.#exitedFlag = true;
        for (const ack of this.#acks.values()) ack();
        this.#acks.clear();
        resolve({ code, signal: sig });
      });
    });
    this.child.on('message', (message: { type?: string; id?: number }) => {
      if (message?.type === 'fault-ack' && typeof message.id === 'number') {
        this.#acks.get(message.id)?.();
        this.#acks.delete(message.id);
      }
    });
    // An IPC error (child gone mid-send) must not crash the host.
    this.child.on('error', () => undefined);
    this.ready = this.#waitReady(spec, signal);
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.#exitedFlag;
  }

  /** Last bytes the child wrote to stderr (for error messages). */
  get stderrTail(): string {
    return this.#stderr.trim();
  }

  /** Applies a fault; resolves when the child confirmed it. */
  async setFault(fault: LocalFault): Promise<void> {
    if (this.#exitedFlag) throw new MeridianError('REGION_UNAVAILABLE', 'region process is not running');
    const id = this.#nextAck++;
    await new Promise<void>((resolve, reject) => {
      this.#acks.set(id, resolve);
      this.child.send({ type: 'fault', id, fault }, (error) => {
        if (error) {
          this.#acks.delete(id);
          reject(new MeridianError('REGION_UNAVAILABLE', 'region process did not take the fault', { cause: error }));
        }
      });
    });
  }

  /** Kills at once (SIGKILL) and waits for the exit. */
  async kill(): Promise<void> {
    if (!this.#exitedFlag) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Asks the child to stop (SIGTERM), SIGKILL after `graceMillis`. */
  async terminate(graceMillis = 2000): Promise<void> {
    if (this.#exitedFlag) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMillis);
    timer.unref();
    await this.exited;
    clearTimeout(timer);
  }

  #waitReady(spec: RegionProcessSpec, signal?: AbortSignal): Promise<ReadyInfo> {
    return new Promise<ReadyInfo>((resolve, reject) => {
      const fail = (error: MeridianError): void => {
        cleanup();
        this.child.kill('SIGKILL');
        reject(error);
      };
      const onMessage = (message: { type?: string; host?: string; port?: number; pid?: number; message?: string; code?: string }): void => {
        if (message?.type === 'ready') {
          cleanup();
          resolve({ host: message.host!, port: message.port!, pid: message.pid! });
        } else if (message?.type === 'error') {
          fail(
            new MeridianError(
              'PROVIDER_ERROR',
              `region "${spec.regionId}" could not listen on ${spec.host}:${spec.port}: ${message.code ?? ''} ${message.message ?? ''}`.trim(),
              { details: { regionId: spec.regionId, code: message.code } },
            ),
          );
        }
      };
      const onExit = (code: number | null, sig: NodeJS.Signals | null): void => {
        cleanup();
        reject(
          new MeridianError(
            'PROVIDER_ERROR',
            `region "${spec.regionId}" exited before it was ready (code ${code}, signal ${sig})${this.stderrTail ? `: ${this.stderrTail}` : ''}`,
            { details: { regionId: spec.regionId } },
          ),
        );
      };
      const onAbort = (): void =>
        fail(new MeridianError('ABORTED', `start of region "${spec.regionId}" was aborted`, { cause: signal?.reason }));
      const timer = setTimeout(
        () => fail(new MeridianError('TIMEOUT', `region "${spec.regionId}" did not start within ${spec.startTimeoutMillis} ms`)),
        spec.startTimeoutMillis,
      );
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
