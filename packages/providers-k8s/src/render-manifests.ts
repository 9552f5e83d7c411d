import { createHash } from 'node:crypto';
import { type DeploySpec } from '@meridian/core';
import { invalidConfig, parseOptions, type ConfigIssue } from '@meridian/core/spi';
import { z } from 'zod';
import type { ResolvedK8sProviderOptions, ResolvedK8sRegion } from './k8s-provider-options.js';

/** Label naming the region of every rendered object. */
export const LABEL_REGION = 'meridian.dev/region';
/** Label naming the app (the spec's `name`). */
export const LABEL_NAME = 'app.kubernetes.io/name';
/** Label saying Meridian manages the object (value `meridian`). */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** @internal */
export const MANAGED_BY = 'meridian';

// Service names are DNS-1035 labels (a letter first), the strictest of the three kinds.
const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ENV_KEY = /^[-._a-zA-Z0-9]+$/;

const workloadSchema = z.looseObject({
  image: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  resources: z.record(z.string(), z.unknown()).optional(),
});

/** What `spec.workload` may hold for this provider. */
export interface KubernetesWorkload {
  /** Container image. Default the provider's `image`. */
  image?: string;
  /** Container port. Default the provider's `port`. */
  port?: number;
  /** Container command (entrypoint). */
  command?: string[];
  /** Container args. */
  args?: string[];
  /** Container `resources` (requests, limits), passed as is. */
  resources?: Record<string, unknown>;
}

/** A Kubernetes object as JSON. */
export interface KubeManifest {
  /** `v1`, `apps/v1` ... */
  apiVersion: string;
  /** `ConfigMap`, `Deployment`, `Service`. */
  kind: string;
  /** Name, namespace, labels and annotations. */
  metadata: KubeManifestMetadata;
  /** `spec`, `data` ... */
  [key: string]: unknown;
}

/** The metadata Meridian sets on an object. */
export interface KubeManifestMetadata {
  /** Object name. */
  name: string;
  /** The region's namespace. */
  namespace: string;
  /** Meridian's labels. */
  labels: Record<string, string>;
  /** Annotations, if any. */
  annotations?: Record<string, string>;
}

/** The three objects of one region. */
export interface RegionManifests {
  /** `<name>-region`: REGION, TZ, LOCALE, CURRENCY and the env. */
  configMap: KubeManifest;
  /** `<name>`: the workload. */
  deployment: KubeManifest;
  /** `<name>`: its Service. */
  service: KubeManifest;
}

/** Checks what every region shares (name, workload, env); returns the workload. */
export function checkSpec(spec: DeploySpec, options: ResolvedK8sProviderOptions): Required<Pick<KubernetesWorkload, 'image' | 'port'>> & KubernetesWorkload {
  const issues: ConfigIssue[] = [];
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) {
    issues.push({ path: 'name', message: 'must be a DNS-1035 label (a lowercase letter first, then letters, digits, dashes; at most 63)', value: JSON.stringify(spec.name) });
  }
  const envs: Array<[string, Record<string, string> | undefined]> = [['env', spec.env], ...Object.entries(spec.overrides ?? {}).map(([id, o]): [string, Record<string, string> | undefined] => [`overrides.${id}.env`, o?.env])];
  for (const [path, env] of envs) {
    for (const [key, value] of Object.entries(env ?? {})) {
      if (!ENV_KEY.test(key)) issues.push({ path: `${path}.${key}`, message: 'must be a ConfigMap key (letters, digits, "-", "_", ".")', value: JSON.stringify(key) });
      if (typeof value !== 'string') issues.push({ path: `${path}.${key}`, message: 'must be a string', value: typeof value });
    }
  }
  for (const [id, o] of Object.entries(spec.overrides ?? {})) {
    if (o?.replicas !== undefined && (!Number.isInteger(o.replicas) || o.replicas < 0)) issues.push({ path: `overrides.${id}.replicas`, message: 'must be an integer >= 0', value: String(o.replicas) });
  }
  if (issues.length > 0) throw invalidConfig('deploy spec', issues);
  const workload = parseOptions(workloadSchema, spec.workload ?? {}, 'deploy spec workload');
  const image = workload.image ?? options.image;
  if (!image) throw invalidConfig('deploy spec', [{ path: 'workload.image', message: 'no image: set spec.workload.image or the provider option `image`', value: 'undefined' }]);
  return { ...workload, image, port: workload.port ?? options.port } as Required<Pick<KubernetesWorkload, 'image' | 'port'>> & KubernetesWorkload;
}

/** The labels of one region's objects. */
export function labelsOf(name: string, regionId: string): Record<string, string> {
  return { [LABEL_NAME]: name, [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_REGION]: regionId };
}

/** The selector of every Meridian object of a region. */
export function regionSelector(regionId: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_REGION}=${regionId}`;
}

/** Where a region's workload answers: the configured endpoint, else the Service's in-cluster address. */
export function endpointOf(region: ResolvedK8sRegion, name: string, namespace: string, port: number): string {
  return region.endpoint ?? `http://${name}.${namespace}.svc.cluster.local:${port}`;
}

/**
 * Renders a region's ConfigMap (region, time zone, locale, currency and the
 * spec's env), Deployment (env `REGION`, the ConfigMap as env, readiness probe
 * on the health path, a config hash annotation so a config change rolls the
 * pods) and Service.
 */
export function renderRegion(
  spec: DeploySpec,
  regionId: string,
  region: ResolvedK8sRegion,
  namespace: string,
  workload: ReturnType<typeof checkSpec>,
  options: ResolvedK8sProviderOptions,
): RegionManifests {
  const override = spec.overrides?.[regionId] ?? {};
  const labels = labelsOf(spec.name, regionId);
  const timezone = override.timezone ?? region.timezone;
  const locale = override.locale ?? region.locale;
  const data: Record<string, string> = {
    REGION: regionId,
    ...(timezone ? { TZ: timezone } : {}),
    ...(locale ? { LOCALE: locale } : {}),
    ...(region.currency ? { CURRENCY: region.currency } : {}),
    ...(spec.env ?? {}),
    ...(override.env ?? {}),
  };
  const configName = `${spec.name}-region`;
  const configHash = createHash('sha256').update(JSON.stringify(Object.entries(data).sort())).digest('hex').slice(0, 16);
  const selector = { [LABEL_NAME]: spec.name, [LABEL_REGION]: regionId };
  const meta = (name: string) => ({ name, namespace, labels: { ...labels } });
  const container: Record<string, unknown> = {
    name: 'app',
    image: workload.image,
    ports: [{ name: 'http', containerPort: workload.port, protocol: 'TCP' }],
    env: [{ name: 'REGION', value: regionId }],
    envFrom: [{ configMapRef: { name: configName } }],
    readinessProbe: { httpGet: { path: options.healthPath, port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
    ...(workload.command ? { command: workload.command } : {}),
    ...(workload.args ? { args: workload.args } : {}),
    ...(workload.resources ? { resources: workload.resources } : {}),
  };
  return {
    configMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(configName), data },
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(spec.name),
      spec: {
        replicas: override.replicas ?? region.replicas ?? 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels }, annotations: { 'meridian.dev/config-hash': configHash } },
          spec: { containers: [container] },
        },
      },
    },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(spec.name),
      spec: { type: options.serviceType, selector, ports: [{ name: 'http', port: workload.port, targetPort: 'http', protocol: 'TCP' }] },
    },
  };
}

/** The API path of a rendered object (core and apps only). */
export function objectPath(m: { apiVersion: string; kind: string; metadata: { name: string; namespace: string } }): string {
  const plural = `${m.kind.toLowerCase()}s`;
  const root = m.apiVersion === 'v1' ? '/api/v1' : `/apis/${m.apiVersion}`;
  return `${root}/namespaces/${m.metadata.namespace}/${plural}/${m.metadata.name}`;
}

/** `deployments.apps`, `configmaps`: how RBAC and errors name a kind. */
export function resourceOf(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return `${kind.toLowerCase()}s${group ? `.${group}` : ''}`;
}
