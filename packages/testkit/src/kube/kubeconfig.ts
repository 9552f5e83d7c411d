/** What a kubeconfig for one fake cluster holds. */
export interface KubeconfigParts {
  /** Cluster, user and context names are derived from it. */
  contextName: string;
  server: string;
  caPem: string;
  token: string;
  namespace: string;
}

/** JSON-quotes a scalar: JSON strings are valid YAML double-quoted strings. */
const q = (value: string): string => JSON.stringify(value);

/** A kubeconfig YAML (one cluster, user and context, which is current) that kubectl and client-node load. */
export function renderKubeconfig(parts: KubeconfigParts): string {
  const cluster = `${parts.contextName}-cluster`;
  const user = `${parts.contextName}-user`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(cluster)}`,
    '  cluster:',
    `    server: ${q(parts.server)}`,
    `    certificate-authority-data: ${q(Buffer.from(parts.caPem).toString('base64'))}`,
    'users:',
    `- name: ${q(user)}`,
    '  user:',
    `    token: ${q(parts.token)}`,
    'contexts:',
    `- name: ${q(parts.contextName)}`,
    '  context:',
    `    cluster: ${q(cluster)}`,
    `    user: ${q(user)}`,
    `    namespace: ${q(parts.namespace)}`,
    `current-context: ${q(parts.contextName)}`,
    'preferences: {}',
    '',
  ].join('\n');
}
