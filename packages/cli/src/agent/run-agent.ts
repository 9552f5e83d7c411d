import { loadConfig } from '../config/load-config.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { createAdminServer } from './admin-server.js';
import { AGENT_FILE, isAlive, readAgentFile, removeAgentFile, writeAgentFile } from './agent-file.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { createLog } from './logger.js';
import { createMetrics } from './metrics.js';
import { destroyRoutes } from './routes/destroy-routes.js';
import { operationRoutes } from './routes/operation-routes.js';
import { readRoutes } from './routes/read-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { syncRoutes } from './routes/sync-routes.js';
import { runtimeRoutes } from './routes/runtime-routes.js';
import { syncAdminRoutes } from './routes/sync-admin-routes.js';
import { startAlerts } from './alerts.js';
import { Operations } from './operations.js';
import { syncFollowsTraffic } from './sync-follows-traffic.js';
import { generateToken } from './token.js';

/**
 * `meridian agent`: runs the control plane from the config and serves the
 * admin API on loopback until SIGINT or SIGTERM, then stops everything (region
 * processes included) and removes `.meridian/agent.json`.
 */
export async function runAgent(options: { cwd: string; configPath?: string; env: NodeJS.ProcessEnv }): Promise<ExitCode> {
  const log = createLog();
  const loaded = await loadConfig({ cwd: options.cwd, ...(options.configPath ? { path: options.configPath } : {}) });
  const running = readAgentFile(options.cwd);
  if (running && running.pid !== process.pid && isAlive(running.pid)) {
    throw new CliError(`an agent is already running in ${options.cwd} (pid ${running.pid}, ${running.url}); stop it first`, EXIT.FAILED);
  }
  const fromEnv = options.env['MERIDIAN_ADMIN_TOKEN'] || undefined;
  if (fromEnv !== undefined && fromEnv.length < 16) throw new CliError('MERIDIAN_ADMIN_TOKEN must be at least 16 characters', EXIT.USAGE);
  const token = fromEnv ?? generateToken();

  // A signal during start-up is honoured once start-up has settled, so nothing is left half-made.
  let signalled: string | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (name: string): void => {
    if (signalled) {
      log(`${name} again: exiting now`);
      process.exit(EXIT.FAILED); // the provider's exit hook still kills the region processes
    }
    signalled = name;
    wake?.();
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  const startedAt = Date.now();
  let plane: ControlPlane | undefined;
  let server: ReturnType<typeof createAdminServer> | undefined;
  let alerts: { close(): Promise<void> } | undefined;
  try {
    log(`config ${loaded.displayPath}: app ${loaded.config.app.name}, ${loaded.config.regions.length} region(s), provider ${loaded.config.provider.kind}`);
    plane = await startControlPlane(loaded, { env: options.env, log });
    if (loaded.config.alerts) alerts = startAlerts(loaded.config.alerts, plane, log);
    if (plane.sync) syncFollowsTraffic(plane.failover, plane.sync, log);
    if (!signalled) {
      const operations = new Operations();
      server = createAdminServer({
        routes: [
          ...readRoutes(plane, startedAt),
          ...operationRoutes(plane, operations),
          ...sessionRoutes(plane, operations),
          ...syncRoutes(plane, loaded.displayPath),
          ...syncAdminRoutes(plane, loaded.displayPath),
          ...runtimeRoutes(plane, operations),
          ...destroyRoutes(plane),
        ],
        token,
        metrics: createMetrics(plane),
        log,
      });
      const { host, port } = loaded.config.agent;
      let url: string;
      try {
        url = await server.listen(host, port);
      } catch (error) {
        throw new CliError(`${loaded.where(['agent', 'port'])}: cannot listen on ${host}:${port}: ${(error as Error).message}`, EXIT.FAILED, { cause: error });
      }
      await writeAgentFile(options.cwd, {
        version: 1,
        url,
        host,
        port: Number(new URL(url).port),
        pid: process.pid,
        token,
        startedAt: new Date(startedAt).toISOString(),
        config: loaded.path,
      });
      log(`admin API on ${url} (bearer token in ${AGENT_FILE}, mode 0600); Prometheus metrics on ${url}/metrics`);
      log(`ready in ${Date.now() - startedAt} ms; Ctrl-C or SIGTERM stops the agent${plane.kind.kind === 'local' ? ' and every region' : ` (the ${plane.kind.kind} deployment stays until meridian destroy)`}`);
      if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
    }
    log(`${signalled}: shutting down`);
    return EXIT.OK;
  } finally {
    await server?.close();
    await alerts?.close();
    await plane?.stop();
    removeAgentFile(options.cwd, process.pid);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    // Local regions are processes of the agent; cloud regions outlive it (`meridian destroy` removes them).
    if (plane) log(plane.kind.kind === 'local' ? 'stopped: every region process has exited' : `stopped; the ${plane.kind.kind} deployment stays (meridian destroy removes it)`);
  }
}
