import type { Command } from 'commander';
import type { BatchMigrationResult, MigrationResult } from '@meridian/core';
import type { MigrationStatistics, SessionInfo } from '@meridian/session-migration';
import { formatMillis } from '../duration.js';
import { follow, printDetached } from '../client/follow-operation.js';
import { CliError, EXIT } from '../exit-codes.js';
import { renderTable } from '../output/table.js';
import { printJson } from '../output/write.js';
import type { CommandContext } from './context.js';

/** `meridian migrate`, `meridian evacuate` and `meridian sessions`. */
export function registerSessionCommands(program: Command, ctx: CommandContext): void {
  program
    .command('migrate')
    .description('move one live session to another region (snapshot, restore, activate; rolled back on failure)')
    .argument('<session>', 'session id')
    .requiredOption('--to <region>', 'target region')
    .option('--json', 'print JSON')
    .action(async (session: string, o: { to: string; json?: boolean }) => {
      const result = await ctx.client().call<MigrationResult>('POST', `/v1/sessions/${encodeURIComponent(session)}/migrate`, { to: o.to }, (e) => {
        if (e.type === 'progress') ctx.io.stderr.write(`  ${String(e['step']).padEnd(10)} ${e['status']}\n`);
      });
      if (o.json) return printJson(ctx.io, result);
      ctx.io.stdout.write(`migrated ${result.sessionId}: ${result.from} -> ${result.to} in ${formatMillis(result.durationMillis)}\n`);
    });

  program
    .command('evacuate')
    .description('move every live session out of a region (to --to, or each to its nearest healthy region)')
    .argument('<region>', 'the region to empty')
    .option('--to <region>', 'one target for all (default: with geo.database and client IPs, each session\'s nearest healthy region; else the healthy region nearest the one emptied)')
    .option('--json', 'print JSON')
    .option('--detach', 'start it, print its operation id and return; `meridian cancel ID` stops it (running moves roll back)')
    .action(async (region: string, o: { to?: string; json?: boolean; detach?: boolean }) => {
      const followed = await follow<BatchMigrationResult & { from: string; to: string }>(ctx, 'POST', `/v1/regions/${encodeURIComponent(region)}/evacuate`, o.to ? { to: o.to } : {}, {
        detach: o.detach === true,
        onEvent: (e) => {
          if (e.type === 'start') ctx.io.stderr.write(`evacuating ${e['sessions']} session(s) from ${e['from']} to ${e['to']}\n`);
          if (e.type === 'progress') ctx.io.stderr.write(`  ${e['sessionId']} -> ${e['to']}: ${e['status']}${e['error'] ? ` (${e['error']})` : ''}\n`);
        },
      });
      if ('detached' in followed) return printDetached(ctx, followed.detached, o.json);
      const result = followed.result;
      if (result.failed.length > 0) ctx.exit(EXIT.FAILED);
      if (o.json) return printJson(ctx.io, result);
      const rows = [...result.migrated.map((m) => [m.sessionId, m.to, 'migrated', formatMillis(m.durationMillis)]), ...result.failed.map((f) => [f.sessionId, '-', ctx.colors.red('failed'), f.error])];
      ctx.io.stdout.write(`${rows.length ? `${renderTable(ctx.colors, ['SESSION', 'TO', 'RESULT', 'TOOK / ERROR'], rows)}\n` : ''}evacuated ${result.from}: ${result.migrated.length} moved, ${result.failed.length} failed\n`);
    });

  const sessions = program.command('sessions').description('list the sessions the agent tracks, or add one');
  sessions
    .command('list', { isDefault: true })
    .description('sessions per region, with their state and migrations')
    .option('--region <region>', 'only this region')
    .option('--json', 'print JSON')
    .action(async (o: { region?: string; json?: boolean }) => {
      const query = o.region ? `?region=${encodeURIComponent(o.region)}` : '';
      const view = await ctx.client().get<{ sessions: SessionInfo[]; statistics: MigrationStatistics }>(`/v1/sessions${query}`);
      if (o.json) return printJson(ctx.io, view);
      const rows = view.sessions.map((s) => [s.id, s.region, s.state, s.migrations, s.metadata['clientIp']]);
      ctx.io.stdout.write(`${renderTable(ctx.colors, ['SESSION', 'REGION', 'STATE', 'MIGRATIONS', 'CLIENT IP'], rows)}\n${view.statistics.sessions} session(s); ${view.statistics.migrated} migrated, ${view.statistics.failed} failed\n`);
    });
  sessions
    .command('add')
    .description('create a session in a region process and register it (for trying migrations out)')
    .argument('<id>', 'session id')
    .requiredOption('--region <region>', 'where it lives')
    .option('--state <json>', 'its state, JSON', '{}')
    .option('--client-ip <ip>', "the client's IP (lets evacuation place it near its user)")
    .option('--json', 'print JSON')
    .action(async (id: string, o: { region: string; state: string; clientIp?: string; json?: boolean }) => {
      let state: unknown;
      try {
        state = JSON.parse(o.state);
      } catch {
        throw new CliError(`--state: not JSON: ${o.state}`, EXIT.USAGE);
      }
      const { session } = await ctx.client().call<{ session: SessionInfo }>('POST', '/v1/sessions', { id, region: o.region, state, ...(o.clientIp ? { clientIp: o.clientIp } : {}) });
      if (o.json) return printJson(ctx.io, session);
      ctx.io.stdout.write(`session ${session.id} is live in ${session.region}\n`);
    });
}
