// Runs the app. `--smoke` starts it, calls every endpoint once, checks the
// answers and exits: what CI runs on a copy of this template.
import { createApp, listen } from './app.js';
import { startMeridian } from './meridian.js';

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const meridian = await startMeridian(smoke ? { intervalMillis: 200 } : {});
  const http = await listen(createApp(meridian), smoke ? 0 : Number(process.env.PORT ?? 3000));
  console.log(`Meridian HTTP app on ${http.url} (front door ${meridian.provider.frontDoor?.url})`);
  const shutdown = async (): Promise<void> => {
    await http.close();
    await meridian.stop();
  };
  if (!smoke) {
    process.once('SIGINT', () => void shutdown().then(() => process.exit(0)));
    return;
  }
  try {
    await new Promise((r) => setTimeout(r, 600));
    const get = async (path: string) => (await fetch(`${http.url}${path}`)).json() as Promise<Record<string, unknown>>;
    const post = async (path: string, body: unknown) =>
      (await fetch(`${http.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;
    const london = await get('/route?ip=81.2.69.160');
    if (london.region !== 'eu-west') throw new Error(`route: ${JSON.stringify(london)}`);
    const report = await post('/failover', { to: 'eu-west' });
    if (report.outcome !== 'completed') throw new Error(`failover: ${JSON.stringify(report)}`);
    const bad = await post('/failover', { to: 'mars' });
    if (bad.code !== 'REGION_NOT_FOUND') throw new Error(`bad failover: ${JSON.stringify(bad)}`);
    const status = await get('/status');
    console.log(`smoke ok: route ${london.region}, failover ${report.to}, active ${JSON.stringify((status.failover as { active: string[] }).active)}`);
  } finally {
    await shutdown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
