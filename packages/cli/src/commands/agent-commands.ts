import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { printJson } from '../output/write.js';
import type { CommandContext } from './context.js';

/** `meridian agent` and `meridian config`. */
export function registerAgentCommands(program: Command, ctx: CommandContext): void {
  program
    .command('agent')
    .description('run the control plane from the config and serve the admin API on loopback (until Ctrl-C or SIGTERM)')
    .option('-c, --config <path>', 'config file (default: meridian.config.yaml, .yml or .json in the working directory)')
    .addHelpText('after', '\nWrites .meridian/agent.json (URL, pid, token; mode 0600) for the other commands, and removes it on exit.\nThe token comes from MERIDIAN_ADMIN_TOKEN, or is generated.')
    .action(async (options: { config?: string }) => {
      // Loaded on demand: client commands start faster without the engines.
      const { runAgent } = await import('../agent/run-agent.js');
      ctx.exit(await runAgent({ cwd: ctx.cwd, env: ctx.env, ...(options.config ? { configPath: options.config } : {}) }));
    });

  program
    .command('config')
    .description('check the config file and print it with every default filled in')
    .option('-c, --config <path>', 'config file (default: meridian.config.yaml, .yml or .json in the working directory)')
    .option('--json', 'print JSON (the default output is JSON too; the flag is accepted for symmetry)')
    .action(async (options: { config?: string }) => {
      const loaded = await loadConfig({ cwd: ctx.cwd, ...(options.config ? { path: options.config } : {}) });
      ctx.io.stderr.write(`${loaded.displayPath}: valid (${loaded.config.regions.length} region${loaded.config.regions.length === 1 ? '' : 's'})\n`);
      printJson(ctx.io, loaded.config);
    });
}
