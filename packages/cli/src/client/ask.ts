import { createInterface } from 'node:readline';

/**
 * Asks a yes/no question on a terminal; anything but y/yes (Enter, EOF, a
 * second Ctrl-C) is no, so the safe answer is the default.
 */
export function askYesNo(question: string, streams: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream }, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: streams.input, output: streams.output, terminal: false });
    let answered = false;
    const done = (yes: boolean): void => {
      if (answered) return;
      answered = true;
      signal?.removeEventListener('abort', onAbort);
      rl.close();
      resolve(yes);
    };
    const onAbort = (): void => done(false);
    signal?.addEventListener('abort', onAbort, { once: true });
    rl.once('line', (line) => done(/^\s*y(es)?\s*$/i.test(line)));
    rl.once('close', () => done(false));
    streams.output.write(`${question} [y/N] `);
  });
}
