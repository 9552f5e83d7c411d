import { throwIfAborted } from '../errors/abort.js';
import type { SessionRecord, SessionRegistry, SessionRegistryListOptions, SessionRegistryPage, SessionRegistryPutOptions } from '../contracts/session-registry.js';
import { checkListOptions, checkPutOptions, checkSessionId, checkSessionRecord, pageOfRecords, putConflict, putRefused } from './session-record-input.js';

/**
 * A {@link SessionRegistry} in this process's memory: the default for one
 * control-plane instance (and for several sharing one object in tests). Records
 * are copied in and out, so a caller's object never changes a stored one.
 */
export class MemorySessionRegistry implements SessionRegistry {
  readonly #records = new Map<string, SessionRecord>();

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<SessionRecord | undefined> {
    throwIfAborted(options.signal, 'session registry call');
    checkSessionId(id);
    const record = this.#records.get(id);
    return record ? copy(record) : undefined;
  }

  async list(options: SessionRegistryListOptions = {}): Promise<SessionRegistryPage> {
    throwIfAborted(options.signal, 'session registry call');
    const limit = checkListOptions(options);
    return pageOfRecords(this.#records.keys(), options, limit, (id) => {
      const record = this.#records.get(id);
      return record ? copy(record) : undefined;
    });
  }

  async put(record: SessionRecord, options: SessionRegistryPutOptions = {}): Promise<void> {
    throwIfAborted(options.signal, 'session registry call');
    const checked = checkSessionRecord(record);
    checkPutOptions(options);
    const why = putConflict(this.#records.get(checked.id), checked, options);
    if (why) throw putRefused(checked.id, why);
    this.#records.set(checked.id, checked);
  }

  async delete(id: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal, 'session registry call');
    checkSessionId(id);
    return this.#records.delete(id);
  }
}

function copy(record: SessionRecord): SessionRecord {
  return { ...record, metadata: { ...record.metadata } };
}
