import type { KubeObject } from './kube-object.js';
import { badRequest } from './status.js';

type Requirement =
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] };

/** A parsed selector: true when an object's labels (or fields) match. */
export type Matcher = (values: Record<string, string>) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside `( )`. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function checkKey(key: string): string {
  if (!KEY.test(key) || key.length > 317) throw badRequest(`unable to parse requirement: key: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: values[0]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
  return value;
}

function parseTerm(term: string, validate: boolean): Requirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const values = setMatch[3]!.split(',').map((v) => v.trim());
    return { key: validate ? checkKey(setMatch[1]!) : setMatch[1]!, op: setMatch[2] as 'in' | 'notin', values: validate ? values.map(checkValue) : values };
  }
  const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (eqMatch) {
    const op = eqMatch[2] === '!=' ? '!=' : '=';
    return { key: validate ? checkKey(eqMatch[1]!) : eqMatch[1]!, op, value: validate ? checkValue(eqMatch[3]!) : eqMatch[3]! };
  }
  const existsMatch = /^(!?)\s*([^\s=!(),]+)$/.exec(term);
  if (existsMatch) return { key: validate ? checkKey(existsMatch[2]!) : existsMatch[2]!, op: existsMatch[1] ? '!exists' : 'exists' };
  throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

function matcherOf(requirements: Requirement[]): Matcher {
  return (values) =>
    requirements.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(values, r.key);
      const value = values[r.key];
      switch (r.op) {
        case 'exists':
          return has;
        case '!exists':
          return !has;
        case '=':
          return has && value === r.value;
        case '!=':
          return !has || value !== r.value;
        case 'in':
          return has && r.values.includes(value!);
        case 'notin':
          return !has || !r.values.includes(value!);
      }
    });
}

/** Parses a `labelSelector` query (`a=b,c!=d,e in (f,g),h notin (i),j,!k`); a bad one is 400 like the real server. */
export function parseLabelSelector(selector: string | null): Matcher {
  if (!selector) return () => true;
  return matcherOf(splitTerms(selector).map((t) => parseTerm(t, true)));
}

/** Field selectors a type supports, besides `metadata.name` and `metadata.namespace`. */
const EXTRA_FIELDS: Record<string, Record<string, (o: KubeObject) => string>> = {
  Pod: {
    'status.phase': (o) => String((o['status'] as { phase?: string } | undefined)?.phase ?? ''),
    'spec.nodeName': (o) => String((o['spec'] as { nodeName?: string } | undefined)?.nodeName ?? ''),
  },
  Secret: { type: (o) => String(o['type'] ?? '') },
};

/** Parses a `fieldSelector` for objects of `kind` into a predicate on objects; an unknown field is 400. */
export function parseFieldSelector(selector: string | null, kind: string): (object: KubeObject) => boolean {
  if (!selector) return () => true;
  const extra = EXTRA_FIELDS[kind] ?? {};
  const requirements = splitTerms(selector).map((t) => parseTerm(t, false));
  for (const r of requirements) {
    if (r.op !== '=' && r.op !== '!=') throw badRequest(`invalid selector: '${selector}'; can't understand '${r.key}'`);
    if (r.key !== 'metadata.name' && r.key !== 'metadata.namespace' && !(r.key in extra)) {
      throw badRequest(`field label not supported: ${r.key}`);
    }
  }
  const match = matcherOf(requirements);
  return (object) => {
    const fields: Record<string, string> = { 'metadata.name': object.metadata.name, 'metadata.namespace': object.metadata.namespace ?? '' };
    for (const [field, read] of Object.entries(extra)) fields[field] = read(object);
    return match(fields);
  };
}
