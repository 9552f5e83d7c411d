import type { Command } from 'commander';
import type { CostsView } from '../agent/costs-view.js';
import { CliError, EXIT } from '../exit-codes.js';
import { renderTable } from '../output/table.js';
import { printJson } from '../output/write.js';
import { collect, positiveInt, positiveNumber, type CommandContext } from './context.js';

/** `meridian costs`. */
export function registerCostsCommand(program: Command, ctx: CommandContext): void {
  program
    .command('costs')
    .description('price of each region (declared in the config, or from the Azure Retail Prices API), the total of the deployed ones, and each region against the home region per month with a recommendation')
    .option('--optimize', 'suggest a cheaper placement with the same number of regions (selectRegions)')
    .option('--count <n>', 'with --optimize: regions to place (default: as many as are deployed)', positiveInt)
    .option('--near <where>', 'with --optimize: where users are, an IP or "lat,lon" (repeat for several)', collect)
    .option('--max-cost <perHour>', 'with --optimize: leave out regions dearer than this per hour', positiveNumber)
    .option('--json', 'print JSON')
    .action(async (o: { optimize?: boolean; count?: number; near?: string[]; maxCost?: number; json?: boolean }) => {
      if (!o.optimize && (o.count !== undefined || o.near || o.maxCost !== undefined)) throw new CliError('--count, --near and --max-cost go with --optimize', EXIT.USAGE);
      const q = new URLSearchParams();
      if (o.optimize) q.set('optimize', 'true');
      if (o.count !== undefined) q.set('count', String(o.count));
      if (o.maxCost !== undefined) q.set('maxCostPerHour', String(o.maxCost));
      for (const near of o.near ?? []) q.append('near', near);
      const view = await ctx.client().get<CostsView>(`/v1/costs${q.size ? `?${q}` : ''}`);
      if (o.json) return printJson(ctx.io, view);
      const c = ctx.colors;
      const rows = view.regions.map((r) => [r.regionId, r.deployed ? 'yes' : 'no', r.hourly === undefined ? c.dim('not declared') : `${r.hourly} ${r.currency}`, r.hourly === undefined ? undefined : `${round(r.hourly * 730)} ${r.currency}`]);
      const totals = Object.entries(view.totals).map(([cur, n]) => `${n} ${cur}/h (about ${round(n * 730)} ${cur}/month)`).join(', ') || 'nothing priced';
      const lines = [renderTable(c, ['REGION', 'DEPLOYED', 'PER HOUR', 'PER MONTH'], rows), `total of deployed regions: ${c.bold(totals)}${view.unpriced.length ? `; no price declared for ${view.unpriced.join(', ')}` : ''}`, `prices: ${view.source}`];
      const cmp = view.comparison;
      if (cmp) {
        // The design document's table: per-region monthly cost, the baseline, the difference and the cheapest marked.
        const width = Math.max(...cmp.regions.map((r) => r.regionId.length)) + 1;
        lines.push('', `region cost analysis (per month, 730 h; baseline ${cmp.baseline}):`);
        for (const r of cmp.regions) lines.push(`  ${`${r.regionId}:`.padEnd(width + 1)} ${r.monthly.toFixed(2)} ${r.currency}/month (${r.label})${r.cheapest && r.regionId !== cmp.baseline ? ' *' : ''}`);
        lines.push(`recommendation: ${c.bold(cmp.recommendation.text)}`);
      }
      const opt = view.optimize;
      if (opt) {
        lines.push('');
        if (opt.unchanged) lines.push(`optimize (${opt.count} regions): the current placement (${opt.current.join(', ')}) is already the one placement prefers`);
        else if (opt.count === opt.current.length) lines.push(`optimize (${opt.count} regions): ${c.bold(opt.suggested.join(', '))} at ${opt.suggestedHourly}/h instead of ${opt.current.join(', ')} at ${opt.currentHourly}/h (saves ${opt.savingsHourly}/h)`);
        else lines.push(`optimize (${opt.count} regions): ${c.bold(opt.suggested.join(', '))} at ${opt.suggestedHourly}/h (the ${opt.current.length} deployed regions cost ${opt.currentHourly}/h)`);
        for (const pick of opt.placement.picks) lines.push(`  ${pick.regionId}: ${pick.reasons.join('; ')}`);
        for (const r of opt.placement.rejected) lines.push(c.dim(`  not ${r.regionId}: ${r.reason}`));
      }
      ctx.io.stdout.write(`${lines.join('\n')}\n`);
    });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
