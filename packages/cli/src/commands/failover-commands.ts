import type { Command } from 'commander';
import type { DrillReport, FailoverPlan, FailoverReport } from '@meridian/core';
import type { AgentEvent } from '../client/admin-client.js';
import { formatMillis, parseDuration } from '../duration.js';
import { follow, printDetached } from '../client/follow-operation.js';
import { CliError, EXIT } from '../exit-codes.js';
import { renderTable } from '../output/table.js';
import { printJson } from '../output/write.js';
import type { CommandContext } from './context.js';

/** `meridian failover`, `failback` and `drill`. */
export function registerFailoverCommands(program: Command, ctx: CommandContext): void {
  const steps = (e: AgentEvent): void => {
    if (e.type === 'progress') ctx.io.stderr.write(`  ${String(e['step']).padEnd(15)} ${e['status']}${e['detail'] ? `: ${e['detail']}` : ''}\n`);
  };
  const weights = (w: Record<string, number>): string => Object.entries(w).map(([id, v]) => `${id}=${Math.round(v)}`).join(' ');
  const summary = (r: FailoverReport): string =>
    [
      `${r.kind} ${r.from.join(',') || '(none)'} -> ${r.to}: ${ctx.colors.green(r.outcome)} in ${formatMillis(r.durationMillis)}`,
      `weights before: ${weights(r.weightsBefore)}`,
      `weights after:  ${weights(r.weightsAfter)}`,
    ].join('\n');

  program
    .command('failover')
    .description('move all traffic to a region (verify target, sync, shift, verify routing; rolled back on failure)')
    // Checked in the action, not by commander: a required option would also be required of `failover set-priority`.
    .option('--to <region>', 'the region to move traffic to (required)')
    .option('--dry-run', 'show the steps, weights and checks, changing nothing (exit 1 when a check fails)')
    .option('--force', 'go ahead even when the target is not healthy')
    .option('--drain', 'wait failover.drainMillis for in-flight work on the old region')
    .option('--json', 'print JSON')
    .option('--detach', 'start it, print its operation id and return; `meridian cancel ID` stops it (and rolls it back)')
    .action(async (o: { to?: string; dryRun?: boolean; force?: boolean; drain?: boolean; json?: boolean; detach?: boolean }) => {
      if (o.to === undefined) throw new CliError("required option '--to <region>' not specified (or a subcommand: failover set-priority)", EXIT.USAGE);
      const to = o.to;
      const client = ctx.client();
      if (o.dryRun) {
        const { plan } = await client.call<{ plan: FailoverPlan }>('POST', '/v1/failover', { to, dryRun: true, force: o.force === true });
        if (!plan.wouldSucceed) ctx.exit(EXIT.FAILED);
        if (o.json) return printJson(ctx.io, { dryRun: true, plan });
        const c = ctx.colors;
        const rows = plan.checks.map((check) => [check.name, check.ok ? c.green('ok') : c.red('fails'), check.detail]);
        ctx.io.stdout.write(
          `dry run: failover ${plan.from.join(',') || '(none)'} -> ${plan.to} ${plan.wouldSucceed ? 'would succeed' : c.red('would fail')}; nothing changed\n` +
            `steps: ${plan.steps.join(' -> ')}\nweights now:   ${weights(plan.weightsBefore)}\nweights after: ${weights(plan.weightsAfter)}\n${renderTable(c, ['CHECK', 'RESULT', 'DETAIL'], rows)}\n`,
        );
        return;
      }
      ctx.io.stderr.write(`failover to ${to} ...\n`);
      const followed = await follow<FailoverReport>(ctx, 'POST', '/v1/failover', { to, force: o.force === true, drain: o.drain === true }, { detach: o.detach === true, onEvent: steps });
      if ('detached' in followed) return printDetached(ctx, followed.detached, o.json);
      const report = followed.result;
      if (o.json) return printJson(ctx.io, report);
      ctx.io.stdout.write(`${summary(report)}\n`);
    });

  program
    .command('failback')
    .description('bring traffic back to the home region (active-passive) or the full spread (active-active)')
    .option('--verify-sync', "wait until the home region's replication lag is under failover.failback.maxLagMillis (needs sync)")
    .option('--wait-for-health', 'wait for the home region to be healthy instead of refusing')
    .option('--json', 'print JSON')
    .option('--detach', 'start it, print its operation id and return; `meridian cancel ID` stops it (and rolls it back)')
    .action(async (o: { verifySync?: boolean; waitForHealth?: boolean; json?: boolean; detach?: boolean }) => {
      ctx.io.stderr.write('failback ...\n');
      const followed = await follow<FailoverReport>(ctx, 'POST', '/v1/failback', { verifySync: o.verifySync === true, waitForHealth: o.waitForHealth === true }, { detach: o.detach === true, onEvent: steps });
      if ('detached' in followed) return printDetached(ctx, followed.detached, o.json);
      const report = followed.result;
      if (o.json) return printJson(ctx.io, report);
      ctx.io.stdout.write(`${summary(report)}\n`);
    });

  program
    .command('drill')
    .description('fail over to a region for real, hold, check it served, then roll back on its own')
    .requiredOption('--to <region>', 'the region to drill on')
    .requiredOption('--duration <duration>', 'how long traffic stays there: 500ms, 30s, 5m, 1h')
    .option('--json', 'print JSON')
    .option('--detach', 'start it, print its operation id and return; `meridian cancel ID` ends it early (rolled back)')
    .action(async (o: { to: string; duration: string; json?: boolean; detach?: boolean }) => {
      const durationMillis = parseDuration(o.duration, '--duration');
      ctx.io.stderr.write(`drill on ${o.to} for ${formatMillis(durationMillis)} ...\n`);
      const followed = await follow<DrillReport>(ctx, 'POST', '/v1/drill', { to: o.to, durationMillis }, { detach: o.detach === true, onEvent: steps });
      if ('detached' in followed) return printDetached(ctx, followed.detached, o.json);
      const report = followed.result;
      if (!report.rolledBack) ctx.exit(EXIT.FAILED);
      if (o.json) return printJson(ctx.io, report);
      ctx.io.stdout.write(
        `${summary(report)}\ndrill: failover ${formatMillis(report.failoverMillis)}, held ${formatMillis(report.heldMillis)}, rollback ${formatMillis(report.rollbackMillis)}; ` +
          `target served: ${report.targetServed}; rolled back: ${report.rolledBack}${report.abortedEarly ? `; stopped early: ${report.abortedEarly}` : ''}\n`,
      );
    });
}
