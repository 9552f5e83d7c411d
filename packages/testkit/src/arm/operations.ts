import type { Clock } from '@meridian/core';
import type { ArmError } from './arm-error.js';

/** An ARM async operation, polled through `Azure-AsyncOperation` (status JSON) or `Location` (202 until done). */
export interface ArmOperation {
  id: string;
  startedAt: number;
  readyAt: number;
  failure?: ArmError;
  /** Runs once when the operation completes (applies the change to the store). */
  complete: () => void;
  done: boolean;
  /** For `Location` polling of a PUT/POST: the body the final 200 returns (none: 204). */
  resultBody?: () => unknown;
}

/** The operations of one fake; completions are applied lazily, whenever the fake is next asked something. */
export class OperationTable {
  private readonly operations = new Map<string, ArmOperation>();

  constructor(private readonly clock: Clock) {}

  add(operation: Omit<ArmOperation, 'done' | 'startedAt'>): ArmOperation {
    const entry = { ...operation, startedAt: this.clock.now(), done: false };
    this.operations.set(operation.id, entry);
    return entry;
  }

  get(id: string): ArmOperation | undefined {
    this.settle();
    return this.operations.get(id);
  }

  /** Completes every operation whose time has come, oldest first. */
  settle(): void {
    const now = this.clock.now();
    const due = [...this.operations.values()].filter((o) => !o.done && o.readyAt <= now).sort((a, b) => a.readyAt - b.readyAt);
    for (const operation of due) {
      operation.done = true;
      operation.complete();
    }
  }
}
