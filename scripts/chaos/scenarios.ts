import type { ChaosScenario } from './scenario.js';
import { apiserverErrors } from './scenarios/apiserver-errors.js';
import { armThrottling } from './scenarios/arm-throttling.js';
import { azuriteRestart } from './scenarios/azurite-restart.js';
import { clockSkew } from './scenarios/clock-skew.js';
import { controlPlanePartition } from './scenarios/control-plane-partition.js';
import { errorBurst } from './scenarios/error-burst.js';
import { leasePause } from './scenarios/lease-pause.js';
import { probeLoss } from './scenarios/probe-loss.js';
import { regionHang } from './scenarios/region-hang.js';
import { regionKill } from './scenarios/region-kill.js';
import { regionSlow } from './scenarios/region-slow.js';
import { storageOutage } from './scenarios/storage-outage.js';
import { syncPartition } from './scenarios/sync-partition.js';
import { targetCrash } from './scenarios/target-crash.js';

/** Every scenario of `pnpm chaos`, in the order they run. */
export const CHAOS_SCENARIOS: readonly ChaosScenario[] = [
  regionKill,
  regionHang,
  regionSlow,
  errorBurst,
  probeLoss,
  controlPlanePartition,
  syncPartition,
  storageOutage,
  targetCrash,
  leasePause,
  clockSkew,
  apiserverErrors,
  armThrottling,
  azuriteRestart,
];
