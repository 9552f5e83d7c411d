import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { SyncSettingsState, WriteAck } from '@meridian/core';
import type { ConflictView } from '../agent/routes/sync-admin-routes.js';
import { formatRate, parseByteSize } from '../byte-size.js';
import { formatMillis, parseDuration } from '../duration.js';
import { CliError, EXIT } from '../exit-codes.js';
import { renderTable } from '../output/table.js';
import { printJson } from '../output/write.js';
import type { CommandContext } from './context.js';

/** `meridian sync conflicts`, `sync resolve`, `sync configure`. */
export function registerSyncAdminCommands(program: Command, ctx: CommandContext): void {
  const sync = program.commands.find((c) => c.name() === 'sync');
  if (!sync) throw new Error('meridian sync is not registered');

  sync
    .command('conflicts')
    .description('the manual-policy conflict queue: each key with its competing version per region and when it was detected')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const view = await ctx.client().get<{ policy: string; conflicts: ConflictView[] }>('/v1/sync/conflicts');
      if (o.json) return printJson(ctx.io, view);
      const rows = view.conflicts.flatMap((c) =>
        c.versions.map((v, i) => [i === 0 ? c.key : ' ', v.region, v.deleted ? ctx.colors.dim('(deleted)') : JSON.stringify(v.value), v.version, i === 0 ? new Date(c.detectedAt).toISOString() : ' ']),
      );
      const note = view.policy === 'manual' ? '' : ` (policy ${view.policy} settles conflicts itself; the queue fills under manual only)`;
      ctx.io.stdout.write(`${view.conflicts.length} pending conflict(s)${note}\n${view.conflicts.length ? `${renderTable(ctx.colors, ['KEY', 'REGION', 'VALUE', 'VERSION', 'DETECTED'], rows)}\n` : ''}`);
    });

  sync
    .command('resolve')
    .description("settle one pending conflict: keep one region's version, or write a value from a JSON file (it replicates everywhere)")
    .argument('<key>', 'the key in conflict')
    .option('--keep <region>', "keep this region's version")
    .option('--value <file>', 'write the JSON in this file as the value ("-" reads stdin)')
    .option('--delete', 'settle it by deleting the key')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  meridian sync resolve cart:42 --keep eu-west\n  meridian sync resolve cart:42 --value merged.json')
    .action(async (key: string, o: { keep?: string; value?: string; delete?: boolean; json?: boolean }) => {
      const given = [o.keep !== undefined, o.value !== undefined, o.delete === true].filter(Boolean).length;
      if (given !== 1) throw new CliError('give exactly one of --keep REGION, --value FILE, --delete', EXIT.USAGE, { code: 'INVALID_ARGUMENT' });
      const body = o.keep !== undefined ? { key, keep: o.keep } : o.delete ? { key, deleted: true } : { key, value: readJsonFile(ctx.cwd, o.value!) };
      const out = await ctx.client().call<{ ack: WriteAck; resolved: ConflictView; kept?: string; deleted: boolean }>('POST', '/v1/sync/resolve', body);
      if (o.json) return printJson(ctx.io, out);
      const how = out.kept ? `kept ${out.kept}'s version` : out.deleted ? 'deleted it' : `wrote the value from ${o.value}`;
      ctx.io.stdout.write(`resolved ${key}: ${how} (version ${out.ack.version}, written in ${out.ack.regionId}; it replicates to every region)\n`);
    });

  sync
    .command('configure')
    .description('change the push interval and the bandwidth limit at runtime')
    .option('--interval <duration>', 'push changes every: 500ms, 30s, 5m')
    .option('--max-bytes-per-second <size>', 'bandwidth limit per region pair: bytes, or 100KB, 100MB, 1GiB; "unlimited" lifts it')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nNot kept across agent restarts (set sync.intervalMillis and sync.maxBytesPerSecond in the config for that).\n\nExample:\n  meridian sync configure --interval 5m --max-bytes-per-second 100MB')
    .action(async (o: { interval?: string; maxBytesPerSecond?: string; json?: boolean }) => {
      const body = {
        ...(o.interval !== undefined ? { intervalMillis: parseDuration(o.interval, '--interval') } : {}),
        ...(o.maxBytesPerSecond !== undefined ? { maxBytesPerSecond: o.maxBytesPerSecond === 'unlimited' ? null : parseByteSize(o.maxBytesPerSecond, '--max-bytes-per-second') } : {}),
      };
      if (Object.keys(body).length === 0) throw new CliError('give --interval and/or --max-bytes-per-second', EXIT.USAGE, { code: 'INVALID_ARGUMENT' });
      const { settings } = await ctx.client().call<{ settings: SyncSettingsState }>('PUT', '/v1/sync/settings', body);
      if (o.json) return printJson(ctx.io, settings);
      ctx.io.stdout.write(`sync: every ${formatMillis(settings.intervalMillis)}, bandwidth ${formatRate(settings.maxBytesPerSecond)} per region pair\n`);
    });
}

function readJsonFile(cwd: string, file: string): unknown {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new CliError(`--value: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, EXIT.USAGE, { code: 'FILE_UNREADABLE', cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`--value: ${file} is not valid JSON: ${(error as Error).message}`, EXIT.USAGE, { code: 'INVALID_JSON', cause: error });
  }
}
