import type { Command } from 'commander';
import type { OperationInfo } from '../agent/operations.js';
import { EXIT } from '../exit-codes.js';
import { renderTable } from '../output/table.js';
import { printJson } from '../output/write.js';
import type { CommandContext } from './context.js';

/** What each operation does when cancelled (shown in `meridian cancel --help` and the docs). */
const ON_CANCEL = `
What a cancel does:
  deploy    regions not finished are stopped and removed; regions already running stay
  failover  the running step is aborted and the steps done are rolled back: traffic as before
  failback  the same: traffic as before
  drill     the hold ends at once and traffic goes back to where it was (rolled back)
  evacuate  no new session moves start; moves in flight roll back (sessions stay where they were)
  migrate   rolled back: the session stays active in its source region`;

/** `meridian cancel OP` and `meridian operations`. */
export function registerOperationCommands(program: Command, ctx: CommandContext): void {
  program
    .command('cancel')
    .description('cancel an operation running on the agent (from --detach, or a client that went away) and wait for its rollback')
    .argument('<operation>', 'operation id, as printed by --detach or listed by meridian operations')
    .option('--reason <text>', 'why (kept with the operation)')
    .option('--json', 'print JSON')
    .addHelpText('after', ON_CANCEL)
    .action(async (id: string, o: { reason?: string; json?: boolean }) => {
      const { operation } = await ctx.client().call<{ operation: OperationInfo }>('POST', `/v1/operations/${encodeURIComponent(id)}/cancel`, o.reason ? { reason: o.reason } : {});
      // Still running after the agent's wait: the rollback is slow; not an error of the cancel, but not done either.
      if (operation.state === 'running') ctx.exit(EXIT.FAILED);
      if (o.json) return printJson(ctx.io, operation);
      const how = operation.state === 'cancelled' ? 'cancelled' : operation.state === 'running' ? 'still rolling back (see meridian operations)' : `ended ${operation.state} before the cancel took effect`;
      ctx.io.stdout.write(`${operation.kind} ${operation.id} ${how}${operation.error ? `: ${operation.error}` : ''}${operation.outcome ? ` (${operation.outcome})` : ''}\n`);
    });

  program
    .command('operations')
    .description('operations the agent runs or ran lately (deploy, failover, failback, drill, evacuate, migrate), with their ids')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { operations } = await ctx.client().get<{ operations: OperationInfo[] }>('/v1/operations');
      if (o.json) return printJson(ctx.io, operations);
      const rows = operations.map((op) => [op.id, op.kind, op.state, new Date(op.startedAt).toISOString(), op.finishedAt === undefined ? undefined : `${op.finishedAt - op.startedAt} ms`, op.error]);
      ctx.io.stdout.write(`${renderTable(ctx.colors, ['ID', 'KIND', 'STATE', 'STARTED', 'TOOK', 'ERROR'], rows)}\n`);
    });
}
