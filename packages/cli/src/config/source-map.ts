import { isMap, isNode, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { CliError, EXIT } from '../exit-codes.js';
import { findJsonSyntaxError } from './json-syntax.js';

/** A parsed config file that can tell where any path of it sits. */
export interface ParsedSource {
  /** The plain data (JSON or YAML). */
  data: unknown;
  /** `file:line:col` of the key (or item) at `path`, or of its nearest existing parent. */
  where(path: ReadonlyArray<PropertyKey>): string;
}

/**
 * Parses YAML or JSON keeping line positions. A syntax error (and a key given
 * twice) is a usage error naming `file:line:col`.
 */
export function parseSource(file: string, text: string): ParsedSource {
  const json = /\.json$/i.test(file);
  const pos = (offset: number): string => {
    const before = text.slice(0, offset).split('\n');
    return `${file}:${before.length}:${before.at(-1)!.length + 1}`;
  };
  let data: unknown;
  if (json) {
    const syntax = findJsonSyntaxError(text);
    if (syntax) throw new CliError(`${pos(syntax.offset)}: invalid JSON: ${syntax.message}`, EXIT.USAGE);
    data = JSON.parse(text);
  }
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, schema: json ? 'json' : 'core' });
  const first = doc.errors[0];
  if (first) {
    throw new CliError(`${pos(first.pos[0])}: invalid ${json ? 'JSON' : 'YAML'}: ${first.message.split('\n')[0]}`, EXIT.USAGE);
  }
  if (!json) data = doc.toJS({ maxAliasCount: 100 });
  return { data, where: (path) => pos(offsetOf(doc, path)) };
}

function offsetOf(doc: Document, path: ReadonlyArray<PropertyKey>): number {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      if (isNode(node) && node.range) offset = node.range[0];
    } else {
      break;
    }
  }
  return offset;
}
