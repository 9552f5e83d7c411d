import { clone, isRecord, jsonEqual } from './kube-object.js';
import { badRequest, KubeStatusError } from './status.js';

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

/** How the apiserver reports a patch that parsed but could not be applied: 422 with the reason as a cause. */
export function patchFailed(message: string): KubeStatusError {
  return new KubeStatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message }],
  });
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw patchFailed(`invalid JSON pointer: ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, tokens: string[], path: string): { parent: unknown; last: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isRecord(node)) node = node[token];
    else node = undefined;
    if (node === undefined) throw patchFailed(`doc is missing path: "${path}": missing value`);
  }
  return { parent: node, last: tokens[tokens.length - 1]! };
}

function get(doc: unknown, path: string): unknown {
  let node = doc;
  for (const token of pointer(path)) {
    node = Array.isArray(node) ? node[Number(token)] : isRecord(node) ? node[token] : undefined;
    if (node === undefined) throw patchFailed(`doc is missing path: "${path}": missing value`);
  }
  return node;
}

function arrayIndex(parent: unknown[], last: string, path: string, inserting: boolean): number {
  if (inserting && last === '-') return parent.length;
  const index = Number(last);
  if (!/^\d+$/.test(last) || index > parent.length - (inserting ? 0 : 1)) throw patchFailed(`unable to access invalid index: ${last}: invalid index referenced: ${path}`);
  return index;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return clone(value);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, true), 0, clone(value));
  else if (isRecord(parent)) parent[last] = clone(value);
  else throw patchFailed(`doc is missing path: "${path}": missing value`);
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const tokens = pointer(path);
  const { parent, last } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, false), 1);
  else if (isRecord(parent) && last in parent) delete parent[last];
  else throw patchFailed(`Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

/** Applies an RFC 6902 patch to a copy of `document`. */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = clone(document);
  for (const raw of patch as JsonPatchOperation[]) {
    if (!isRecord(raw) || typeof raw.path !== 'string') throw badRequest('invalid JSON patch operation');
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, raw.value);
        break;
      case 'remove':
        doc = remove(doc, raw.path);
        break;
      case 'replace':
        get(doc, raw.path);
        doc = add(remove(doc, raw.path), raw.path, raw.value);
        break;
      case 'move': {
        const value = get(doc, raw.from ?? '');
        doc = add(remove(doc, raw.from ?? ''), raw.path, value);
        break;
      }
      case 'copy':
        doc = add(doc, raw.path, get(doc, raw.from ?? ''));
        break;
      case 'test':
        if (!jsonEqual(get(doc, raw.path), raw.value)) throw patchFailed(`testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw patchFailed(`Unexpected kind: ${String((raw as { op: unknown }).op)}`);
    }
  }
  return doc;
}
