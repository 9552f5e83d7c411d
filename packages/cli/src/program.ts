import { Command } from 'commander';
import { registerAgentCommands } from './commands/agent-commands.js';
import type { CommandContext } from './commands/context.js';
import { registerCostsCommand } from './commands/costs-command.js';
import { registerDeployCommand } from './commands/deploy-command.js';
import { registerDestroyCommand } from './commands/destroy-command.js';
import { registerFailoverCommands } from './commands/failover-commands.js';
import { registerSessionCommands } from './commands/session-commands.js';
import { registerStatusCommands } from './commands/status-commands.js';
import { registerSyncCommands } from './commands/sync-commands.js';
import { registerOperationCommands } from './commands/operation-commands.js';
import { registerRuntimeCommands } from './commands/runtime-commands.js';
import { registerSyncAdminCommands } from './commands/sync-admin-commands.js';

const EXIT_CODES = `
Exit codes:
  0  ok
  1  the operation failed (rolled back), or a dry run found a failing check
  2  usage or config error
  3  agent unreachable (none started in this directory, or it is down)
  4  unauthorized (wrong or missing admin token)
  5  not found (an unknown region, session, operation or conflict key)
  6  cancelled on the agent (Ctrl-C or meridian cancel), and rolled back
  7  unsupported by the provider kind (sessions on kubernetes or azure)`;

/** The `meridian` command with every subcommand. */
export function createProgram(ctx: CommandContext, version: string): Command {
  const program = new Command('meridian')
    .description('Run Meridian from a config file: `meridian agent` runs the control plane; the other commands talk to it.')
    .version(version, '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => ctx.io.stdout.write(s), writeErr: (s) => ctx.io.stderr.write(s) })
    .exitOverride()
    .addHelpText('after', EXIT_CODES);
  registerAgentCommands(program, ctx);
  registerStatusCommands(program, ctx);
  registerDeployCommand(program, ctx);
  registerDestroyCommand(program, ctx);
  registerFailoverCommands(program, ctx);
  registerSessionCommands(program, ctx);
  registerSyncCommands(program, ctx);
  registerCostsCommand(program, ctx);
  registerSyncAdminCommands(program, ctx);
  registerRuntimeCommands(program, ctx);
  registerOperationCommands(program, ctx);
  return program;
}
