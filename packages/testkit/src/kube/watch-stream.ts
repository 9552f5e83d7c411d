import type { ServerResponse } from 'node:http';
import type { TimerHandle } from '@meridian/core';
import { served, type ApiContext } from './api-context.js';
import type { KubeObject } from './kube-object.js';
import type { StoreEvent } from './object-store.js';
import { selectorOf, type ReadFormat } from './read-handlers.js';
import type { ResourceTarget } from './request-target.js';
import { groupVersion, resourceKey } from './resource-types.js';
import { badRequest, expired } from './status.js';
import { toTable, wantsTable } from './table.js';

/** What a watch needs beyond the target. */
export interface WatchSettings {
  /** How often a BOOKMARK is sent to watches that allow them. */
  bookmarkIntervalMillis: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * Serves `?watch=1`: newline-delimited JSON events, replayed from
 * `resourceVersion` (an ERROR event with a 410 Expired Status if that is older
 * than the retained history, as the watch cache does), or starting with
 * synthetic ADDED events when no resourceVersion (or "0") is given; BOOKMARKs
 * when allowed; ends after `timeoutSeconds`. Returns a function that ends the
 * stream abruptly (a dropped connection).
 */
export function serveWatch(ctx: ApiContext, target: ResourceTarget, query: URLSearchParams, format: ReadFormat, res: ServerResponse, settings: WatchSettings): () => void {
  const { type, namespace } = target;
  const key = resourceKey(type);
  const matches = selectorOf(type, query);
  const inScope = (o: KubeObject): boolean => !namespace || o.metadata.namespace === namespace;
  const table = wantsTable(format.accept);
  const rvParam = query.get('resourceVersion') ?? '';
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  const sendInitialEvents = query.get('sendInitialEvents') === 'true';
  if (sendInitialEvents && (!bookmarks || (rvParam !== '' && rvParam !== '0' && query.get('resourceVersionMatch') !== 'NotOlderThan'))) {
    throw badRequest('sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled and allowWatchBookmarks is set to true and resourceVersionMatch is set to NotOlderThan');
  }
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a valid integer`);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const write = (type_: EventType, object: unknown): void => {
    if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify({ type: type_, object })}\n`);
  };
  const writeObject = (eventType: EventType, object: KubeObject): void => {
    const shown = served(type, object);
    write(eventType, table ? toTable(type.kind, [shown], object.metadata.resourceVersion!, format.includeObject, ctx.clock.now()) : shown);
  };
  const bookmark = (annotations?: Record<string, string>): void =>
    write('BOOKMARK', { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(lastSent), ...(annotations ? { annotations } : {}) } });

  let lastSent = ctx.store.currentRevision;
  const onEvent = (event: StoreEvent): void => {
    if (event.key !== key) return;
    lastSent = event.resourceVersion;
    const now = inScope(event.object) && matches(event.object);
    const before = event.previous !== undefined && inScope(event.previous) && matches(event.previous);
    if (event.type === 'MODIFIED' && before && !now) writeObject('DELETED', event.object);
    else if (event.type === 'MODIFIED' && !before && now) writeObject('ADDED', event.object);
    else if (now) writeObject(event.type, event.object);
  };

  let timeoutTimer: TimerHandle | undefined;
  let bookmarkTimer: TimerHandle | undefined;
  let unsubscribe = (): void => undefined;
  const finish = (): void => {
    unsubscribe();
    timeoutTimer?.cancel();
    bookmarkTimer?.cancel();
  };
  res.once('close', finish);

  if (rvParam === '' || rvParam === '0') {
    for (const object of ctx.store.list(key, namespace || undefined).filter(matches)) writeObject('ADDED', object);
    if (sendInitialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const since = Number(rvParam);
    const events = ctx.store.eventsSince(since);
    if (!events) {
      write('ERROR', expired(since, ctx.store.oldestWatchableRevision + 1).status);
      res.end();
      return () => undefined;
    }
    for (const event of events) onEvent(event);
  }
  lastSent = ctx.store.currentRevision;
  unsubscribe = ctx.store.subscribe(onEvent);

  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
  if (timeoutSeconds > 0) timeoutTimer = ctx.clock.setTimeout(() => res.end(), timeoutSeconds * 1000);
  if (bookmarks && settings.bookmarkIntervalMillis > 0) {
    const tick = (): void => {
      bookmark();
      bookmarkTimer = ctx.clock.setTimeout(tick, settings.bookmarkIntervalMillis);
    };
    bookmarkTimer = ctx.clock.setTimeout(tick, settings.bookmarkIntervalMillis);
  }
  return () => {
    finish();
    res.socket?.destroy();
  };
}
