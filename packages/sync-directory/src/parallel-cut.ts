import type { ChunkEntry } from './chunk-entry.js';

/**
 * A large file is cut by several disk threads at once, each from the start of
 * its own segment, and the pieces joined here into exactly the chunks one
 * thread cutting from offset 0 would make. Why that is exact: a content-defined
 * cut depends only on where the chunk starts and the bytes after it, so two
 * cutters that ever cut at the same position cut alike from there on. Thread
 * k-1 keeps cutting past the end of its segment (into the next one's first
 * `overlap` bytes); the join takes its chunks up to the first position where
 * both cut, and thread k's from there. Where they never meet within the
 * overlap (long runs of one byte value, as in sparse files, cut at fixed
 * intervals from each start), the join gives up and the file is cut by one
 * thread.
 *
 * `starts[k]`: where segment k begins (`starts[0]` is 0); `lists[k]`: the
 * chunks cut from there, in order. Undefined when two neighbours never met.
 */
export function joinSegmentCuts(starts: readonly number[], lists: readonly ChunkEntry[][]): ChunkEntry[] | undefined {
  const out: ChunkEntry[] = [];
  let current = lists[0]!;
  let currentStart = starts[0]!;
  for (let k = 1; k < lists.length; k++) {
    // Every position segment k cut at (its start included), and the index of the chunk that begins there.
    const next = lists[k]!;
    const begins = new Map<number, number>();
    let at = starts[k]!;
    begins.set(at, 0);
    next.forEach((c, i) => {
      at += c.size;
      begins.set(at, i + 1);
    });
    let position = currentStart;
    let met = -1;
    for (let i = 0; i < current.length; i++) {
      position += current[i]!.size;
      if (position >= starts[k]! && begins.has(position)) {
        met = i;
        break;
      }
    }
    if (met < 0) return undefined;
    for (let i = 0; i <= met; i++) out.push(current[i]!);
    current = next.slice(begins.get(position)!);
    currentStart = position;
  }
  for (const c of current) out.push(c);
  return out;
}
