import { z } from 'zod';

// Key names that hold a credential, compared without case, dashes or underscores.
const CREDENTIAL_KEY = /(secret|password|passwd|token|connectionstring|accountkey|storagekey|apikey|privatekey|sas|credentials?|^key)$/;

/** Where credentials go instead of the config file (the message of every refusal). */
export const CREDENTIALS_GO = 'credentials never go in the config file (it is not a secret store and is often committed): '
  + 'Azure signs in through DefaultAzureCredential (az login, a managed identity, or AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET in the environment) '
  + 'and the lease blob store may take AZURE_STORAGE_CONNECTION_STRING from the environment; Kubernetes credentials stay in the kubeconfig';

/** Whether a key names a credential (`clientSecret`, `connection_string`, `token` ...). */
export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key.replace(/[-_]/g, '').toLowerCase());
}

/**
 * Refuses credential-named keys anywhere under the schema's value before the
 * schema itself sees it: one issue per key saying where credentials go,
 * flagged `secret` so the loader never shows the value.
 */
export function withoutCredentials<S extends z.ZodType>(schema: S) {
  return z.preprocess((value, ctx) => {
    const strip = (node: unknown, path: PropertyKey[]): unknown => {
      if (Array.isArray(node)) return node.map((item, i) => strip(item, [...path, i]));
      if (node === null || typeof node !== 'object') return node;
      const kept: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        if (isCredentialKey(key)) ctx.addIssue({ code: 'custom', path: [...path, key], message: CREDENTIALS_GO, params: { secret: true }, input: undefined });
        else kept[key] = strip(child, [...path, key]);
      }
      return kept;
    };
    return strip(value, []);
  }, schema);
}
