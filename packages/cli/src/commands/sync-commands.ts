import type { Command } from 'commander';
import type { CrossRegionSyncStatus, WriteAck } from '@meridian/core';
import { formatMillis, parseDuration } from '../duration.js';
import { CliError, EXIT } from '../exit-codes.js';
import { renderTable } from '../output/table.js';
import { printJson } from '../output/write.js';
import type { DirectorySyncStatus } from '../agent/directory-sync.js';
import type { CommandContext } from './context.js';

/** `meridian sync status|write|read`. */
export function registerSyncCommands(program: Command, ctx: CommandContext): void {
  const sync = program.command('sync').description('cross-region replication: lag per region, and writes to try it out');
  sync
    .command('status')
    .description('lag, pending changes, bytes and errors per region, and conflicts; the same for the data directories when they are synced')
    .option('--wait [duration]', 'first run rounds until every region is in step (lag 0), for at most this long (default 10s); exit 1 if not reached')
    .option('--json', 'print JSON')
    .action(async (o: { wait?: string | true; json?: boolean }) => {
      const waitMillis = o.wait === undefined ? undefined : o.wait === true ? 10_000 : parseDuration(o.wait, '--wait');
      const status = await ctx.client().get<CrossRegionSyncStatus & { converged?: boolean; directory?: DirectorySyncStatus }>(`/v1/sync${waitMillis ? `?waitMillis=${waitMillis}` : ''}`);
      if (status.converged === false) ctx.exit(EXIT.FAILED);
      if (o.json) return printJson(ctx.io, status);
      const c = ctx.colors;
      const rows = status.regions.map((r) => [
        r.regionId,
        r.lagMillis === 0 ? c.green('0 ms') : c.yellow(formatMillis(r.lagMillis)),
        r.pendingChanges,
        r.reachable ? 'yes' : c.red('no'),
        r.bytesSent,
        r.bytesReceived,
        r.errors,
        r.lastError?.message,
      ]);
      const head = `sync ${status.mode}, policy ${status.policy}; conflicts ${status.conflicts} (${status.conflictsPending} pending, ${status.conflictsResolved} resolved)${status.converged === undefined ? '' : status.converged ? '; every region in step' : c.red('; not in step in time')}`;
      ctx.io.stdout.write(`${head}\n${renderTable(c, ['REGION', 'LAG', 'PENDING', 'REACHABLE', 'BYTES OUT', 'BYTES IN', 'ERRORS', 'LAST ERROR'], rows)}\n`);
      const dir = status.directory;
      if (dir) {
        const dirRows = dir.regions.map((r) => [
          r.regionId,
          r.dataPath,
          r.lagMillis === 0 ? c.green('0 ms') : c.yellow(formatMillis(r.lagMillis)),
          r.pendingChanges,
          r.waiting === 0 ? '0' : c.yellow(String(r.waiting)),
          r.bytesSent,
          r.bytesReceived,
          r.errors,
          r.lastError?.message,
        ]);
        ctx.io.stdout.write(
          `\ndata directories: conflicts ${dir.conflicts} (${dir.conflictsPending} pending)\n${renderTable(c, ['REGION', 'DATA PATH', 'LAG', 'PENDING', 'NOT WRITTEN', 'BYTES OUT', 'BYTES IN', 'ERRORS', 'LAST ERROR'], dirRows)}\n`,
        );
        for (const w of dir.waiting) ctx.io.stdout.write(`  not written yet in ${w.regionId}: ${w.path} (${w.reason})\n`);
      }
    });
  sync
    .command('write')
    .description('write a JSON value under a key in one region; it replicates to the others')
    .argument('<key>', 'the key')
    .argument('<json>', 'the value, JSON')
    .requiredOption('--region <region>', 'where to write')
    .option('--json', 'print JSON')
    .action(async (key: string, json: string, o: { region: string; json?: boolean }) => {
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch {
        throw new CliError(`<json>: not JSON: ${json}`, EXIT.USAGE);
      }
      const ack = await ctx.client().call<WriteAck>('PUT', `/v1/sync/data/${encodeURIComponent(o.region)}/${encodeURIComponent(key)}`, { value });
      if (o.json) return printJson(ctx.io, ack);
      ctx.io.stdout.write(`wrote ${ack.key} in ${ack.regionId} (version ${ack.version})\n`);
    });
  sync
    .command('read')
    .description('read a key as one region holds it now')
    .argument('<key>', 'the key')
    .requiredOption('--region <region>', 'which region to read')
    .option('--json', 'print JSON')
    .action(async (key: string, o: { region: string; json?: boolean }) => {
      const found = await ctx.client().get<{ regionId: string; key: string; found: boolean; value: unknown }>(`/v1/sync/data/${encodeURIComponent(o.region)}/${encodeURIComponent(key)}`);
      if (!found.found) ctx.exit(EXIT.NOT_FOUND);
      if (o.json) return printJson(ctx.io, found);
      ctx.io.stdout.write(found.found ? `${JSON.stringify(found.value)}\n` : '');
      if (!found.found) ctx.io.stderr.write(`${key}: not in ${found.regionId}\n`);
    });
}
