import type { Command } from 'commander';
import type { HealthView } from '../agent/health-view.js';
import type { StatusView } from '../agent/status-view.js';
import { paintHealth, type Colors } from '../output/colors.js';
import { renderTable } from '../output/table.js';
import { printJson } from '../output/write.js';
import { positiveInt, positiveNumber, type CommandContext } from './context.js';

/** `meridian status` (with `--watch`) and `meridian health`. */
export function registerStatusCommands(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .description('regions: health, latency, traffic weight, deployment and region config, price, sync lag, sessions and requests per region')
    .option('--json', 'print JSON (with --watch: one JSON object per line)')
    .option('-w, --watch', 'refresh until Ctrl-C')
    .option('--interval <seconds>', 'seconds between refreshes with --watch', positiveNumber, 2)
    .option('--count <n>', 'with --watch: stop after n refreshes', positiveInt)
    .action(async (o: { json?: boolean; watch?: boolean; interval: number; count?: number }) => {
      const client = ctx.client();
      const rounds = o.watch ? (o.count ?? Number.POSITIVE_INFINITY) : 1;
      const stop = new AbortController();
      const onInt = (): void => stop.abort();
      process.once('SIGINT', onInt);
      try {
        for (let i = 0; i < rounds && !stop.signal.aborted; i++) {
          const status = await client.get<StatusView>('/v1/status');
          if (o.json) ctx.io.stdout.write(o.watch ? `${JSON.stringify(status)}\n` : `${JSON.stringify(status, null, 2)}\n`);
          else {
            if (o.watch && ctx.io.stdout.isTTY) ctx.io.stdout.write('\x1b[2J\x1b[H');
            else if (o.watch && i > 0) ctx.io.stdout.write('\n');
            ctx.io.stdout.write(`${renderStatus(ctx.colors, status)}\n`);
          }
          if (i + 1 < rounds) await pause(o.interval * 1000, stop.signal);
        }
      } finally {
        process.off('SIGINT', onInt);
      }
    });

  program
    .command('health')
    .description("every region's health as the agent's monitor sees it: state, reason, latency, availability, last probe")
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const health = await ctx.client().get<HealthView>('/v1/health');
      if (o.json) return printJson(ctx.io, health);
      ctx.io.stdout.write(`${renderHealth(ctx.colors, health)}\n`);
    });
}

/** The human view of `meridian health` (and of `meridian health check`, for the regions it probed). */
export function renderHealth(c: Colors, health: HealthView): string {
  const rows = health.regions.map((h) => [
    h.regionId,
    paintHealth(c, h.state),
    h.latencyMillis === undefined ? undefined : `${h.latencyMillis} ms`,
    h.availability === undefined ? undefined : `${Math.round(h.availability * 1000) / 10}%`,
    h.probes,
    h.lastProbe ? (h.lastProbe.ok ? `ok ${h.lastProbe.status ?? ''}`.trim() : `failed: ${h.lastProbe.error ?? ''}`) : undefined,
    h.reason,
  ]);
  return renderTable(c, ['REGION', 'STATE', 'LATENCY', 'AVAILABILITY', 'PROBES', 'LAST PROBE', 'REASON'], rows);
}

/** The human view of `meridian status`. */
export function renderStatus(c: Colors, s: StatusView): string {
  const fo = s.failover;
  // What the front door does now (a deploy with --strategy may have set weights of its own).
  const withTraffic = s.regions.filter((r) => r.weight > 0).map((r) => r.id);
  const serving = withTraffic.length > 0 ? withTraffic.join(', ') : 'nothing';
  const header = [
    `${c.bold(s.app.name)} on ${s.provider}`,
    s.frontDoor ? `front door ${s.frontDoor}` : undefined,
    `failover ${fo.mode}: serving ${serving}${fo.isLeader ? ' (leader)' : ' (not leader)'}${fo.operation ? `, ${fo.operation.kind} running` : ''}`,
    s.sync.enabled ? `sync ${s.sync.policy}` : 'sync off',
  ]
    .filter(Boolean)
    .join(' · ');
  const rows = s.regions.map((r) => [
    r.id,
    paintHealth(c, r.health),
    r.latencyMillis === undefined ? undefined : `${r.latencyMillis} ms`,
    r.weight > 0 ? c.bold(String(r.weight)) : '0',
    `${r.deploy.status}${r.deploy.state !== 'running' ? ` (${r.deploy.state})` : ''}`,
    [r.config.size, `×${r.config.replicas}`, r.config.timezone, r.config.locale].filter(Boolean).join(' '),
    r.price ? `${r.price.hourly} ${r.price.currency}` : undefined,
    r.sync ? `${r.sync.lagMillis} ms${r.sync.pendingChanges ? ` (${r.sync.pendingChanges} pending)` : ''}` : undefined,
    r.sessions,
    r.requests === undefined ? undefined : `${r.requests}${s.traffic ? ` (${s.traffic.byRegion[r.id]?.share ?? 0}%)` : ''}`,
  ]);
  const table = renderTable(c, ['REGION', 'HEALTH', 'LATENCY', 'WEIGHT', 'DEPLOY', 'CONFIG', 'PRICE/H', 'SYNC LAG', 'SESSIONS', 'REQUESTS'], rows);
  const traffic = s.traffic ? `traffic: ${s.traffic.requests} request(s) through the ${s.traffic.source} (${s.traffic.served} served, ${s.traffic.failures} failed, ${s.traffic.retried} retried)` : 'traffic: not measured by this provider';
  return `${header}\n${table}\n${traffic}`;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
