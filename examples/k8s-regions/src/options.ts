import { parseArgs } from 'node:util';

/** What the example needs to know; every field has a default or a flag. */
export interface ExampleOptions {
  /** Kubeconfig path or YAML text; undefined: `$KUBECONFIG`, else `~/.kube/config`. */
  kubeconfig: string | undefined;
  /** Kubeconfig context per region id. */
  contexts: Record<string, string>;
  /** Namespace in every cluster (it must exist). */
  namespace: string;
  /** The app's image. */
  image: string;
  /** The weighted DNS name external-dns publishes. */
  dnsName: string;
  /** Scale the primary to 0 replicas and back, to show failover and failback. */
  simulateOutage: boolean;
  /** Delete what was deployed at the end. */
  cleanup: boolean;
}

const USAGE = `usage: node dist/main.js [--kubeconfig FILE] [--context REGION=CONTEXT ...] [--namespace NS]
       [--image IMAGE] [--dns-name NAME] [--no-outage] [--cleanup]`;

/** Reads the command line (and `$KUBECONFIG` through client-node when no --kubeconfig is given). */
export function readOptions(argv: string[]): ExampleOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string', multiple: true },
      namespace: { type: 'string', default: 'default' },
      image: { type: 'string', default: 'registry.example.com/shop:1.0.0' },
      'dns-name': { type: 'string', default: 'shop.example.com' },
      'no-outage': { type: 'boolean', default: false },
      cleanup: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  // By default each region's context is named like the region.
  const contexts: Record<string, string> = { 'eu-west': 'eu-west', 'us-east': 'us-east', 'ap-south': 'ap-south' };
  for (const pair of values.context ?? []) {
    const [region, context] = pair.split('=');
    if (!region || !context || !(region in contexts)) throw new Error(`--context ${pair}: expected REGION=CONTEXT with REGION one of ${Object.keys(contexts).join(', ')}\n${USAGE}`);
    contexts[region] = context;
  }
  return {
    kubeconfig: values.kubeconfig,
    contexts,
    namespace: values.namespace,
    image: values.image,
    dnsName: values['dns-name'],
    simulateOutage: !values['no-outage'],
    cleanup: values.cleanup,
  };
}
