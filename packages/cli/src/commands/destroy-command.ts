import type { Command } from 'commander';
import { formatMillis } from '../duration.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output/write.js';
import type { CommandContext } from './context.js';

interface DestroyResult {
  destroyed: string[];
  all: boolean;
  failoverStopped: boolean;
  durationMillis: number;
  stillDeployed: Array<{ id: string; state: string }>;
}

/** `meridian destroy [REGION...]`. */
export function registerDestroyCommand(program: Command, ctx: CommandContext): void {
  program
    .command('destroy')
    .description('tear the deployment down in the given regions (every region when none is named): processes, Kubernetes objects, or Azure resource groups')
    .argument('[regions...]', 'region ids (default: every region of the config)')
    .option('--yes', 'really delete (required: nothing asks twice)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nWith every region gone, the failover manager stops and the shared pieces go too (the DNSEndpoint records on\nkubernetes, the Traffic Manager profile and its resource group on azure); `meridian deploy` brings it all back.\n\nExamples:\n  meridian destroy --yes\n  meridian destroy ap-south --yes')
    .action(async (regions: string[], o: { yes?: boolean; json?: boolean }) => {
      if (!o.yes) throw new CliError(`destroy deletes ${regions.length ? regions.join(', ') : 'every region'} for good; add --yes`, EXIT.USAGE);
      ctx.io.stderr.write(`destroying ${regions.length ? regions.join(', ') : 'every region'} ...\n`);
      const result = await ctx.client().call<DestroyResult>('POST', '/v1/destroy', regions.length ? { regions } : {});
      if (result.stillDeployed.length > 0) ctx.exit(EXIT.FAILED);
      if (o.json) return printJson(ctx.io, result);
      const lines = [`destroyed ${result.destroyed.join(', ')} in ${formatMillis(result.durationMillis)}`];
      if (result.all) lines.push('nothing is deployed; the failover manager stopped until the next `meridian deploy`');
      for (const r of result.stillDeployed) lines.push(ctx.colors.red(`still there: ${r.id} (${r.state})`));
      ctx.io.stdout.write(`${lines.join('\n')}\n`);
    });
}
