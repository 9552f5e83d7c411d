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
  /** ARM endpoint (a fake's, for the demo). Default public Azure. */
  armEndpoint?: string | undefined;
  /** PEM CA to trust for ARM and the token endpoint (a fake's). */
  caPem?: string | undefined;
  /** How often LROs are polled. Default the SDK's. */
  pollIntervalMillis?: number | undefined;
  /** Deallocate the primary's VM and start it again, to show failover and failback. */
  simulateOutage: boolean;
  /** Delete the resource groups at the end. */
  cleanup: boolean;
}

const USAGE = `usage: node dist/main.js [--subscription ID] [--prefix NAME] [--profile NAME]
       [--arm-endpoint URL --ca-file PEM] [--no-outage] [--cleanup]`;

/** Reads the command line and `$AZURE_SUBSCRIPTION_ID`. */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): ExampleOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      subscription: { type: 'string' },
      prefix: { type: 'string', default: 'meridian-shop' },
      profile: { type: 'string', default: 'meridian-shop' },
      'arm-endpoint': { type: 'string' },
      'ca-file': { type: 'string' },
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
  return {
    subscriptionId,
    prefix: values.prefix,
    profileName: values.profile,
    armEndpoint: values['arm-endpoint'],
    caPem: values['ca-file'] ? readFileSync(values['ca-file'], 'utf8') : undefined,
    simulateOutage: !values['no-outage'],
    cleanup: values.cleanup,
  };
}
