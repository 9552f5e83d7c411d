import { type DeploySpec } from '@meridian/core';
import { invalidConfig, type ConfigIssue } from '@meridian/core/spi';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Azure accepts at most 64 KiB of custom data before base64.
const MAX_CUSTOM_DATA_BYTES = 65_536;

/** What `spec.workload` may hold for the Azure provider. */
export interface AzureVmWorkload {
  /** Shell command that starts the app; it must listen on `PORT` and answer `GET /health`. Default a built-in app that does both. */
  command?: string;
  /** Port of the app. Default the provider's `port`. */
  port?: number;
}

/** What the cloud-init of one region is made from. */
export interface CloudInitInput {
  regionId: string;
  port: number;
  timezone?: string | undefined;
  locale?: string | undefined;
}

// The default app: answers /health with 200 and / with the region, on PORT.
const DEFAULT_APP = `import http.server, json, os
region = os.environ.get("REGION", "")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"status": "ok", "region": region} if self.path == "/health" else {"region": region}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)
http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
`;

/** Checks the spec's workload and env keys; returns the workload. */
export function checkWorkload(spec: DeploySpec): AzureVmWorkload {
  const issues: ConfigIssue[] = [];
  const workload = (spec.workload ?? {}) as Record<string, unknown>;
  if (workload['command'] !== undefined && (typeof workload['command'] !== 'string' || workload['command'].trim() === '')) {
    issues.push({ path: 'workload.command', message: 'must be a non-empty shell command', value: JSON.stringify(workload['command']) });
  }
  const port = workload['port'];
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535)) {
    issues.push({ path: 'workload.port', message: 'must be a port number', value: String(port) });
  }
  const envs: Array<[string, Record<string, string> | undefined]> = [['env', spec.env], ...Object.entries(spec.overrides ?? {}).map(([id, o]): [string, Record<string, string> | undefined] => [`overrides.${id}.env`, o?.env])];
  for (const [path, env] of envs) {
    for (const [key, value] of Object.entries(env ?? {})) {
      if (!ENV_KEY.test(key)) issues.push({ path: `${path}.${key}`, message: 'must be an environment variable name (letters, digits, "_")', value: JSON.stringify(key) });
      if (typeof value !== 'string') issues.push({ path: `${path}.${key}`, message: 'must be a string', value: typeof value });
    }
  }
  if (issues.length > 0) throw invalidConfig('deploy spec', issues);
  return workload as AzureVmWorkload;
}

/** The app's environment in one region: REGION, PORT, TZ, LOCALE, then the spec's env and the region's override. */
export function regionEnv(spec: DeploySpec, input: CloudInitInput): Record<string, string> {
  const override = spec.overrides?.[input.regionId] ?? {};
  const timezone = override.timezone ?? input.timezone;
  const locale = override.locale ?? input.locale;
  return {
    REGION: input.regionId,
    PORT: String(input.port),
    ...(timezone ? { TZ: timezone } : {}),
    ...(locale ? { LOCALE: locale } : {}),
    ...(spec.env ?? {}),
    ...(override.env ?? {}),
  };
}

// systemd EnvironmentFile: double quotes, with backslash and quote escaped.
const envLine = (key: string, value: string): string => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/**
 * Renders the `#cloud-config` of a region's VM: the env file, the app (the
 * spec's command or the built-in one) as a systemd service restarted on
 * failure, and the time zone. JSON strings are valid YAML scalars, so every
 * value is written with JSON.stringify.
 */
export function renderCloudInit(spec: DeploySpec, workload: AzureVmWorkload, input: CloudInitInput): string {
  const env = regionEnv(spec, input);
  const envFile = `${Object.entries(env).map(([k, v]) => envLine(k, v)).join('\n')}\n`;
  const command = workload.command ?? '/usr/bin/python3 /opt/meridian/app.py';
  const unit = [
    '[Unit]',
    `Description=Meridian app ${spec.name}`,
    'After=network-online.target',
    '',
    '[Service]',
    'EnvironmentFile=/etc/meridian/app.env',
    `ExecStart=/bin/sh -c ${JSON.stringify(command).replace(/\$/g, '$$$$')}`,
    'Restart=always',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  const files = [
    { path: '/etc/meridian/app.env', permissions: '0600', content: envFile },
    { path: '/etc/systemd/system/meridian-app.service', permissions: '0644', content: unit },
    ...(workload.command ? [] : [{ path: '/opt/meridian/app.py', permissions: '0755', content: DEFAULT_APP }]),
  ];
  const lines = ['#cloud-config', ...(env['TZ'] ? [`timezone: ${JSON.stringify(env['TZ'])}`] : []), 'write_files:'];
  for (const f of files) {
    lines.push(`  - path: ${JSON.stringify(f.path)}`, `    permissions: ${JSON.stringify(f.permissions)}`, `    content: ${JSON.stringify(f.content)}`);
  }
  lines.push('runcmd:', '  - [systemctl, daemon-reload]', '  - [systemctl, enable, --now, meridian-app.service]', '');
  return lines.join('\n');
}

/** The cloud-init as VM custom data (base64); INVALID_CONFIG when it is over Azure's 64 KiB. */
export function customDataOf(cloudInit: string, regionId: string): string {
  const bytes = Buffer.byteLength(cloudInit);
  if (bytes > MAX_CUSTOM_DATA_BYTES) {
    throw invalidConfig('deploy spec', [{ path: `regions.${regionId}`, message: `cloud-init is ${bytes} bytes; Azure accepts at most ${MAX_CUSTOM_DATA_BYTES}`, value: `${bytes} bytes` }]);
  }
  return Buffer.from(cloudInit, 'utf8').toString('base64');
}
