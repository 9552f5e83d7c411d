import { Option, type Command } from 'commander';
import type { DeploymentReport } from '@meridian/core';
import { follow, printDetached, type Followed } from '../client/follow-operation.js';
import { CliError, EXIT } from '../exit-codes.js';
import { deployProgress } from '../output/deploy-progress.js';
import { formatMillis } from '../duration.js';
import { renderTable } from '../output/table.js';
import { printJson } from '../output/write.js';
import { collect, commaList, positiveInt, positiveNumber, type CommandContext } from './context.js';

interface DeployOptions {
  regions?: string[];
  auto?: boolean;
  count?: number;
  near?: string[];
  maxCost?: number;
  strategy?: string;
  json?: boolean;
  detach?: boolean;
}

/** `meridian deploy`. */
export function registerDeployCommand(program: Command, ctx: CommandContext): void {
  program
    .command('deploy')
    .description('deploy the app to regions in parallel, with live progress per region and a summary with the speedup')
    .option('--regions <ids>', 'comma-separated region ids (default: every region of the config)', commaList)
    .option('--auto', 'choose the regions by placement: distance to users, declared price, spread')
    .option('--count <n>', 'with --auto: how many regions', positiveInt)
    .option('--near <where>', 'with --auto: where users are, an IP or "lat,lon" (repeat for several)', collect)
    .option('--max-cost <perHour>', 'with --auto: leave out regions dearer than this per hour', positiveNumber)
    .addOption(new Option('--strategy <strategy>', 'traffic after the deploy (default: keep the failover manager\'s weights)').choices(['active-active', 'active-passive', 'regional']))
    .option('--json', 'print the deployment report as JSON (progress still goes to stderr)')
    .option('--detach', 'start it, print its operation id and return; `meridian cancel ID` stops it')
    .addHelpText('after', '\nExamples:\n  meridian deploy\n  meridian deploy --regions us-east,eu-west --strategy active-active\n  meridian deploy --auto --count 2 --near 48.8,2.3 --near 52.5,13.4 --max-cost 0.2')
    .action(async (o: DeployOptions) => {
      if (o.regions && o.auto) throw new CliError('give --regions or --auto, not both', EXIT.USAGE);
      if (o.auto && o.count === undefined) throw new CliError('--auto needs --count N', EXIT.USAGE);
      if (!o.auto && (o.count !== undefined || o.near || o.maxCost !== undefined)) throw new CliError('--count, --near and --max-cost go with --auto', EXIT.USAGE);
      const body = {
        ...(o.regions ? { regions: o.regions } : {}),
        ...(o.auto ? { auto: { count: o.count!, ...(o.near ? { near: o.near } : {}), ...(o.maxCost !== undefined ? { maxCostPerHour: o.maxCost } : {}) } } : {}),
        ...(o.strategy ? { strategy: o.strategy } : {}),
      };
      const progress = deployProgress(ctx.io, ctx.errColors);
      let followed: Followed<DeploymentReport>;
      try {
        followed = await follow<DeploymentReport>(ctx, 'POST', '/v1/deploy', body, { detach: o.detach === true, onEvent: (e) => progress.onEvent(e) });
      } finally {
        progress.stop();
      }
      if ('detached' in followed) return printDetached(ctx, followed.detached, o.json);
      const report = followed.result;
      if (report.outcome !== 'completed') ctx.exit(EXIT.FAILED);
      if (o.json) return printJson(ctx.io, report);
      const c = ctx.colors;
      const rows = report.regions.map((r) => [
        r.regionId,
        r.status === 'completed' ? c.green(r.status) : c.red(r.status),
        r.startedAt !== undefined && r.finishedAt !== undefined ? formatMillis(r.finishedAt - r.startedAt) : undefined,
        r.endpoint ?? r.error,
      ]);
      const done = report.regions.filter((r) => r.status === 'completed').length;
      const lines = [
        renderTable(c, ['REGION', 'STATUS', 'TOOK', 'ENDPOINT / ERROR'], rows),
        `${report.outcome}: ${done}/${report.regions.length} regions in ${formatMillis(report.durationMillis)}; one after another would take ${formatMillis(report.serialMillis)}: ${c.bold(`${report.speedup.toFixed(1)}x speedup`)}`,
      ];
      if (report.weights) lines.push(`traffic (${report.strategy}): ${Object.entries(report.weights).map(([id, w]) => `${id}=${w}`).join(' ')}`);
      ctx.io.stdout.write(`${lines.join('\n')}\n`);
    });
}
