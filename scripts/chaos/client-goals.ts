import type { ClientGoals, ClientOutcome } from './scenario.js';

/**
 * Why the measured client counts miss a scenario's goals, one message per goal
 * missed (none when met or when no goal is set). Goals with no client traffic
 * to judge are missed too: a goal is never passed unmeasured.
 */
export function missedClientGoals(goals: ClientGoals | undefined, clients: ClientOutcome): string[] {
  if (!goals || (goals.maxFailedGets === undefined && goals.maxFailedPosts === undefined)) return [];
  if ('notApplicable' in clients) return [`client goals set but no client traffic measured (${clients.notApplicable})`];
  const missed: string[] = [];
  const { GET, POST } = clients.byMethod;
  if (goals.maxFailedGets !== undefined && GET.failed > goals.maxFailedGets) {
    missed.push(`${GET.failed} of ${GET.sent} client GETs failed (goal: at most ${goals.maxFailedGets})`);
  }
  if (goals.maxFailedPosts !== undefined && POST.failed > goals.maxFailedPosts) {
    missed.push(`${POST.failed} of ${POST.sent} client POSTs failed (goal: at most ${goals.maxFailedPosts})`);
  }
  return missed;
}
