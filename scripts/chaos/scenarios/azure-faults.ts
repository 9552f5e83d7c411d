import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChaosScenario } from '../scenario.js';

const AZURE = fileURLToPath(new URL('../../../packages/providers-azure/src/index.ts', import.meta.url));
const reason = (): string | undefined =>
  existsSync(AZURE) ? 'not run: @meridian/providers-azure exists now; this scenario is still to be written' : 'not run: needs @meridian/providers-azure (issue 9)';

/** 12b. ARM throttling: 429 with Retry-After on deploy and traffic calls. Listed, never passed, until the provider exists. */
export const armThrottling: ChaosScenario = {
  id: 'arm-429',
  title: 'ARM 429 Retry-After',
  expected: 'retried after Retry-After; nothing half-applied',
  deadlineMillis: 30_000,
  notRunReason: reason,
  run: async () => {
    throw new Error('not implemented');
  },
};

/** 12c. Azurite (Blob storage for snapshots) restarts mid-migration. Listed, never passed, until the provider exists. */
export const azuriteRestart: ChaosScenario = {
  id: 'azurite-restart',
  title: 'Azurite restart',
  expected: 'migrations roll back or retry; sessions in exactly one region',
  deadlineMillis: 30_000,
  notRunReason: reason,
  run: async () => {
    throw new Error('not implemented');
  },
};
