import { KubeConfig } from '@kubernetes/client-node';
import { invalidConfig } from '@meridian/core/spi';

/** A kubeconfig narrowed to one context: what a region (or the DNS cluster) talks to. */
export interface ClusterConnection {
  /** The kubeconfig with `context` as its current context. */
  kubeConfig: KubeConfig;
  /** The context used. */
  context: string;
  /** The apiserver URL (no credentials in it). */
  server: string;
  /** The context's namespace, if it names one. */
  namespace?: string;
}

// YAML (or JSON) text has a newline, a brace, or starts like a kubeconfig; anything else is a path.
const isYamlText = (source: string): boolean => source.includes('\n') || /^\s*[{[]/.test(source) || /^\s*(apiVersion|kind|clusters|contexts|users)\s*:/.test(source);

/**
 * Reads a kubeconfig: a path, YAML text, or (when `source` is undefined)
 * `$KUBECONFIG` / `~/.kube/config`. A file that cannot be read is INVALID_CONFIG
 * naming `path`; the text itself never reaches the message (it holds tokens).
 */
export function readKubeConfig(source: string | undefined, path: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source === undefined) kc.loadFromDefault();
    else if (isYamlText(source)) kc.loadFromString(source);
    else kc.loadFromFile(source);
  } catch (error) {
    const where = source === undefined ? 'the default kubeconfig ($KUBECONFIG or ~/.kube/config)' : isYamlText(source) ? 'the kubeconfig text' : `the file ${JSON.stringify(source)}`;
    const code = (error as NodeJS.ErrnoException).code;
    const line = (error as { mark?: { line?: number } }).mark?.line;
    const why = code ? code : line !== undefined ? `YAML error at line ${line + 1}` : 'not a kubeconfig';
    throw invalidConfig('Kubernetes provider options', [{ path, message: `cannot read ${where} (${why})`, value: source === undefined || isYamlText(source) ? '[kubeconfig]' : JSON.stringify(source) }]);
  }
  return kc;
}

/**
 * Narrows `kc` to `context` for a region. Unknown contexts and clusters that
 * skip TLS verification (or use plain http) are INVALID_CONFIG naming the
 * region and the contexts there are.
 */
export function connectContext(kc: KubeConfig, context: string | undefined, owner: string, path: string): ClusterConnection {
  const names = kc.getContexts().map((c) => c.name);
  const name = context ?? kc.getCurrentContext();
  const found = name ? kc.getContextObject(name) : null;
  if (!found) {
    const available = names.length > 0 ? names.join(', ') : 'none';
    throw invalidConfig('Kubernetes provider options', [
      { path, message: `${owner}: no kubeconfig context "${name ?? ''}" (contexts available: ${available})`, value: JSON.stringify(name ?? null) },
    ]);
  }
  const narrowed = new KubeConfig();
  narrowed.loadFromOptions({ clusters: kc.clusters, users: kc.users, contexts: kc.contexts, currentContext: found.name });
  const cluster = narrowed.getCurrentCluster();
  if (!cluster) {
    throw invalidConfig('Kubernetes provider options', [{ path, message: `${owner}: context "${found.name}" names no known cluster`, value: JSON.stringify(found.cluster) }]);
  }
  if (cluster.skipTLSVerify || !cluster.server.startsWith('https://')) {
    throw invalidConfig('Kubernetes provider options', [
      {
        path,
        message: `${owner}: cluster "${cluster.name}" of context "${found.name}" must be https with TLS verification (give certificate-authority-data, not insecure-skip-tls-verify)`,
        value: JSON.stringify(cluster.server),
      },
    ]);
  }
  return { kubeConfig: narrowed, context: found.name, server: cluster.server, ...(found.namespace ? { namespace: found.namespace } : {}) };
}
