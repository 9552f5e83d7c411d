import { MultiBar, Presets } from 'cli-progress';
import type { AgentEvent } from '../client/admin-client.js';
import type { Colors } from './colors.js';
import type { Io } from './write.js';

/**
 * Live per-region progress of a deployment on stderr: one bar per region on
 * a terminal (cli-progress), one line per step otherwise (logs, CI).
 */
export function deployProgress(io: Io, c: Colors): { onEvent(event: AgentEvent): void; stop(): void } {
  const tty = io.stderr.isTTY === true;
  const multibar = tty
    ? new MultiBar({ stream: io.stderr, format: ' {region} {bar} {percentage}% {status}', hideCursor: true, clearOnComplete: false, barsize: 24, autopadding: true }, Presets.shades_classic)
    : undefined;
  const bars = new Map<string, ReturnType<MultiBar['create']>>();
  let width = 0;
  const line = (text: string): void => {
    io.stderr.write(`${text}\n`);
  };
  return {
    onEvent(event) {
      if (event.type === 'start') {
        const regions = event['regions'] as string[];
        width = Math.max(...regions.map((r) => r.length));
        const placement = event['placement'] as { picks: Array<{ regionId: string; reasons: string[] }> } | undefined;
        for (const pick of placement?.picks ?? []) line(`placement: ${pick.regionId}: ${pick.reasons.join('; ')}`);
        line(`deploying ${regions.join(', ')} (${event['strategy']})`);
        for (const region of regions) bars.set(region, multibar?.create(100, 0, { region: region.padEnd(width), status: 'pending' }) as never);
        return;
      }
      const region = String(event['regionId'] ?? '');
      const bar = bars.get(region);
      if (event.type === 'progress') {
        const status = `${event['step']} ${event['status']}`;
        if (bar) bar.update(event['status'] === 'started' ? 50 : 90, { status });
        else line(`  ${region.padEnd(width)}  ${status}${event['message'] ? `: ${event['message']}` : ''}`);
      } else if (event.type === 'region-completed') {
        const status = c.green(`done in ${event['durationMillis']} ms`);
        if (bar) bar.update(100, { status });
        else line(`  ${region.padEnd(width)}  ${status}`);
      } else if (event.type === 'region-failed') {
        const status = c.red(`failed: ${event['error']}`);
        if (bar) bar.update({ status });
        else line(`  ${region.padEnd(width)}  ${status}`);
      }
    },
    stop() {
      multibar?.stop();
    },
  };
}
