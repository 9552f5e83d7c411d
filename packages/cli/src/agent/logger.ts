/** Where the agent writes what it does: stderr, one timestamped line per event, never a secret. */
export type Log = (message: string) => void;

/** A logger writing `2026-01-01T12:00:00.000Z meridian-agent <message>` lines to `stream`. */
export function createLog(stream: NodeJS.WritableStream = process.stderr): Log {
  return (message) => {
    stream.write(`${new Date().toISOString()} meridian-agent ${message}\n`);
  };
}
