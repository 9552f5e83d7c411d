import { isMap, isNode, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import { CliError, EXIT } from '../exit-codes.js';
import { findJsonSyntaxError } from './json-syntax.js';

/** A parsed config file that can tell where any path of it sits. */
export interface ParsedSource {
  /** The plain data (JSON or YAML). */
  data: unknown;
  /** `file:line:col` of the key (or item) at `path`, or of its nearest existing parent. */
  where(path: ReadonlyArray<PropertyKey>): string;
}

/** Alias expansions a YAML config may make: far more than a real config needs, far fewer than a "billion laughs". */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML or JSON keeping line positions. A syntax error, a key given
 * twice, and a YAML alias bomb are usage errors (exit 2) naming
 * `file:line:col`. A leading UTF-8 byte order mark (Windows editors write one)
 * is dropped from both, as editors do when they count columns.
 */
export function parseSource(file: string, withBom: string): ParsedSource {
  const text = withBom.charCodeAt(0) === 0xfeff ? withBom.slice(1) : withBom;
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
  if (!json) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      // yaml throws a plain ReferenceError ("Excessive alias count ...") without a position: point at the first alias.
      throw new CliError(
        `${pos(firstAliasOffset(doc))}: invalid YAML: too many alias expansions (more than ${MAX_ALIAS_COUNT}, aliases of aliases): ${(error as Error).message}`,
        EXIT.USAGE,
        { cause: error },
      );
    }
  }
  return { data, where: (path) => pos(offsetOf(doc, path)) };
}

function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
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
