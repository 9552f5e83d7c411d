/** Streams a command writes to: data on stdout, progress and messages on stderr. */
export interface Io {
  /** Data (tables, JSON). */
  stdout: NodeJS.WriteStream;
  /** Progress, logs, errors. */
  stderr: NodeJS.WriteStream;
}

/** Prints `value` as pretty JSON on stdout (for `--json`). */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
