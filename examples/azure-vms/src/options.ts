import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** What the example needs to know; every field has a default, a flag or an environment variable. */
export interface ExampleOptions {
  /** Subscription to deploy to (`--subscription` or `$AZURE_SUBSCRIPTION_ID`). */
  subscriptionId: string;
  /** Resource groups are `<prefix>-<region>`; the Traffic Manager group is `<prefix>-global`. */
  prefix: string;
  /** Traffic Manager profile name (also its DNS label: `<name>.trafficmanager.net`). */
  profileName: string;
  /** ARM endpoint (`--arm-endpoint` or `$AZURE_ARM_ENDPOINT`; a fake's, for the demo). Default public Azure. */
  armEndpoint?: string | undefined;
  /** PEM CA to trust for ARM and the token endpoint (`--ca-file` or `$AZURE_ARM_CA_FILE`; a fake's). */
  caPem?: string | undefined;
  /** How often LROs are polled (`--poll-interval-ms` or `$AZURE_POLL_INTERVAL_MS`). Default the SDK's. */
  pollIntervalMillis?: number | undefined;
  /** Deallocate the primary's VM and start it again, to show failover and failback. */
  simulateOutage: boolean;
  /** Delete the resource groups at the end. */
  cleanup: boolean;
}

const USAGE = `usage: node dist/main.js [--subscription ID] [--prefix NAME] [--profile NAME]
       [--arm-endpoint URL --ca-file PEM] [--poll-interval-ms N] [--no-outage] [--cleanup]
Flags win over the environment: AZURE_SUBSCRIPTION_ID, AZURE_ARM_ENDPOINT, AZURE_ARM_CA_FILE, AZURE_POLL_INTERVAL_MS.
Without an ARM endpoint it is public Azure (https://management.azure.com) with DefaultAzureCredential.`;

/** Reads the command line, then the environment for what the flags leave out (`$AZURE_SUBSCRIPTION_ID`, `$AZURE_ARM_ENDPOINT`, `$AZURE_ARM_CA_FILE`, `$AZURE_POLL_INTERVAL_MS`). */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): ExampleOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      subscription: { type: 'string' },
      prefix: { type: 'string', default: 'meridian-shop' },
      profile: { type: 'string', default: 'meridian-shop' },
      'arm-endpoint': { type: 'string' },
      'ca-file': { type: 'string' },
      'poll-interval-ms': { type: 'string' },
      'no-outage': { type: 'boolean', default: false },
      cleanup: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const subscriptionId = values.subscription ?? env['AZURE_SUBSCRIPTION_ID'];
  if (!subscriptionId) throw new Error(`no subscription: pass --subscription or set AZURE_SUBSCRIPTION_ID\n${USAGE}`);
  // An empty variable counts as unset, so `AZURE_ARM_ENDPOINT= node dist/main.js` is public Azure.
  const armEndpoint = values['arm-endpoint'] || env['AZURE_ARM_ENDPOINT'] || undefined;
  if (armEndpoint !== undefined && !(URL.canParse(armEndpoint) && new URL(armEndpoint).protocol === 'https:')) throw new Error(`the ARM endpoint must be an https URL, got "${armEndpoint}"\n${USAGE}`);
  const caFile = values['ca-file'] || env['AZURE_ARM_CA_FILE'] || undefined;
  const poll = values['poll-interval-ms'] || env['AZURE_POLL_INTERVAL_MS'] || undefined;
  const pollIntervalMillis = poll === undefined ? undefined : Number(poll);
  if (pollIntervalMillis !== undefined && !(Number.isInteger(pollIntervalMillis) && pollIntervalMillis > 0)) throw new Error(`the poll interval must be a positive whole number of milliseconds, got "${poll}"\n${USAGE}`);
  return {
    subscriptionId,
    prefix: values.prefix,
    profileName: values.profile,
    armEndpoint,
    caPem: caFile ? readFileSync(caFile, 'utf8') : undefined,
    pollIntervalMillis,
    simulateOutage: !values['no-outage'],
    cleanup: values.cleanup,
  };
}
