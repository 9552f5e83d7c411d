import { createColors } from 'picocolors';

/** picocolors' functions (bold, red, green ...). */
export type Colors = ReturnType<typeof createColors>;

/** Colours for `stream`: on only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorsFor(stream: NodeJS.WriteStream | NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): Colors {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return createColors(tty && !noColor && env['TERM'] !== 'dumb');
}

/** The colour of a health state. */
export function paintHealth(c: Colors, state: string): string {
  if (state === 'healthy') return c.green(state);
  if (state === 'degraded') return c.yellow(state);
  if (state === 'unhealthy') return c.red(state);
  return c.dim(state);
}
