import type { LoadedConfig } from '../../config/load-config.js';
import { azureKind } from './azure-kind.js';
import { configRelativePath } from './config-path.js';
import { kubernetesKind } from './kubernetes-kind.js';
import { localKind } from './local-kind.js';
import type { ProviderKind } from './provider-kind.js';

/** The provider kind the config names, built (nothing created yet: `preflight`, then deploy). */
export function buildKind(loaded: LoadedConfig, env: NodeJS.ProcessEnv): ProviderKind {
  const p = loaded.config.provider;
  switch (p.kind) {
    case 'local':
      return localKind(loaded.config, p, p.dataDir === undefined ? undefined : configRelativePath(loaded, p.dataDir));
    case 'kubernetes':
      return kubernetesKind(loaded, p);
    case 'azure':
      return azureKind(loaded, p, env);
  }
}
