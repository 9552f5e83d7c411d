import { InvalidArgumentError, type Command } from 'commander';
import type { HealthSettingsState, ProbeEvent } from '@meridian/core';
import type { HealthView } from '../agent/health-view.js';
import { formatMillis, parseDuration } from '../duration.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output/write.js';
import { commaList, positiveInt, type CommandContext } from './context.js';
import { renderHealth } from './status-commands.js';

/** `meridian failover set-priority`, `meridian health check` and `meridian health configure`: while the agent runs. */
export function registerRuntimeCommands(program: Command, ctx: CommandContext): void {
  const sub = (name: string): Command => {
    const parent = program.commands.find((c) => c.name() === name);
    if (!parent) throw new Error(`meridian ${name} is not registered`);
    return parent;
  };

  sub('failover')
    .command('set-priority')
    .description('change the failover order at runtime: REGION N, or --order first,second,third (the first is home)')
    .argument('[region]', 'the region to move')
    .argument('[priority]', 'its new priority: 0 is first (home); equal priorities keep config order', nonNegativeInt)
    .option('--order <ids>', 'regions first to last (comma-separated); regions left out follow in their current order', commaList)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nAutomatic failover takes the next target in the new order from now on. A region moved first becomes home:\nfailback returns there; traffic does not move by itself. Not kept across agent restarts (set regions[].priority in the config for that).\n\nExamples:\n  meridian failover set-priority ap-south 1\n  meridian failover set-priority --order us-east,ap-south,eu-west')
    .action(async (region: string | undefined, priority: number | undefined, o: { order?: string[]; json?: boolean }, cmd: Command) => {
      // `--json` after the subcommand is taken by the parent, which has a --json of its own.
      const json = o.json ?? (cmd.parent?.opts() as { json?: boolean }).json;
      if (o.order && region !== undefined) throw new CliError('give REGION N or --order, not both', EXIT.USAGE, { code: 'INVALID_ARGUMENT' });
      if (!o.order && (region === undefined || priority === undefined)) throw new CliError('give REGION N (e.g. set-priority ap-south 1) or --order a,b,c', EXIT.USAGE, { code: 'INVALID_ARGUMENT' });
      const body = o.order ? { order: o.order } : { priorities: { [region!]: priority! } };
      const view = await ctx.client().call<{ priorities: Array<{ id: string; priority: number }>; home: string }>('PUT', '/v1/failover/priorities', body);
      if (json) return printJson(ctx.io, view);
      ctx.io.stdout.write(`failover order: ${view.priorities.map((p) => `${p.id} (${p.priority})`).join(' -> ')}; home ${view.home}\n`);
    });

  sub('health')
    .command('check')
    .description('probe now, outside the schedule: one region (--region) or every one; exit 1 when a probe fails')
    .option('--region <id>', 'the region to probe (default: every region the monitor watches)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nThe probe counts as any scheduled one (failure and success thresholds, latency, availability), and the\nregion\'s next scheduled probe comes one interval after it.\n\nExample:\n  meridian health check --region us-east')
    .action(async (o: { region?: string; json?: boolean }, cmd: Command) => {
      const json = o.json ?? (cmd.parent?.opts() as { json?: boolean }).json;
      const result = await ctx.client().call<{ probes: ProbeEvent[]; regions: HealthView['regions'] }>('POST', '/v1/health/check', o.region !== undefined ? { region: o.region } : {});
      if (json) printJson(ctx.io, result);
      else ctx.io.stdout.write(`${renderHealth(ctx.colors, { regions: result.regions })}\n`);
      if (result.probes.some((p) => !p.ok)) ctx.exit(EXIT.FAILED);
    });

  sub('health')
    .command('configure')
    .description('change probing at runtime: interval, timeout, failures before unhealthy, successes before healthy, degraded thresholds')
    .option('--interval <duration>', 'time between probes of a region: 500ms, 30s, 5m')
    .option('--timeout <duration>', 'a probe slower than this fails; must stay below the interval')
    .option('--failures <n>', 'consecutive failed probes that make a region unhealthy', positiveInt)
    .option('--successes <n>', 'consecutive successful probes that bring it back', positiveInt)
    .option('--latency-threshold <duration>', "a healthy region whose latency (EWMA) is above this is degraded: 100ms, or 'off'")
    .option('--availability-threshold <percent>', "a healthy region whose availability over the window is below this is degraded: 95 or 95%, or 'off'")
    .option('--json', 'print JSON')
    .addHelpText('after', '\nApplies at once: the next probe of each region comes within the new interval; thresholds count from the probes so far,\nand a degraded threshold judges each region at its next probe. A degraded region is not failed over: it keeps its traffic weight.\nNot kept across agent restarts (set health.* in the config for that).\n\nExamples:\n  meridian health configure --interval 10s --timeout 2s --failures 3 --successes 2\n  meridian health configure --latency-threshold 100ms --availability-threshold 95')
    .action(async (o: { interval?: string; timeout?: string; failures?: number; successes?: number; latencyThreshold?: string; availabilityThreshold?: string; json?: boolean }, cmd: Command) => {
      const json = o.json ?? (cmd.parent?.opts() as { json?: boolean }).json;
      const body = {
        ...(o.interval !== undefined ? { intervalMillis: parseDuration(o.interval, '--interval') } : {}),
        ...(o.timeout !== undefined ? { timeoutMillis: parseDuration(o.timeout, '--timeout') } : {}),
        ...(o.failures !== undefined ? { failuresBeforeUnhealthy: o.failures } : {}),
        ...(o.successes !== undefined ? { successesBeforeHealthy: o.successes } : {}),
        ...(o.latencyThreshold !== undefined ? { degradedLatencyMillis: o.latencyThreshold === 'off' ? null : parseDuration(o.latencyThreshold, '--latency-threshold') } : {}),
        ...(o.availabilityThreshold !== undefined ? { degradedAvailability: availabilityThreshold(o.availabilityThreshold) } : {}),
      };
      if (Object.keys(body).length === 0) throw new CliError('give at least one of --interval, --timeout, --failures, --successes, --latency-threshold, --availability-threshold', EXIT.USAGE, { code: 'INVALID_ARGUMENT' });
      const { settings } = await ctx.client().call<{ settings: HealthSettingsState }>('PUT', '/v1/health/settings', body);
      if (json) return printJson(ctx.io, settings);
      const latency = settings.degradedLatencyMillis === null ? 'off' : `over ${formatMillis(settings.degradedLatencyMillis)}`;
      const availability = settings.degradedAvailability === null ? 'off' : `under ${formatPercent(settings.degradedAvailability)}`;
      ctx.io.stdout.write(
        `health probing: every ${formatMillis(settings.intervalMillis)}, timeout ${formatMillis(settings.timeoutMillis)}, unhealthy after ${settings.failuresBeforeUnhealthy} failure(s), healthy after ${settings.successesBeforeHealthy} success(es); degraded when latency ${latency}, availability ${availability}\n`,
      );
    });
}

// A percentage as the fraction the monitor takes; `off` turns the rule off (null to the agent).
function availabilityThreshold(value: string): number | null {
  if (value === 'off') return null;
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value);
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent > 0 && percent <= 100)) {
    throw new CliError(`--availability-threshold: "${value}" must be a percentage above 0 and up to 100 (95 or 95%), or 'off'`, EXIT.USAGE, { code: 'INVALID_ARGUMENT' });
  }
  return percent / 100;
}

const formatPercent = (fraction: number): string => `${Number((fraction * 100).toFixed(2))}%`;

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}
