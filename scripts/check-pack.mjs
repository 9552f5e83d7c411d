// Packs the public packages and installs the tarballs into a fresh npm project
// outside the workspace, then loads them with require() and import and runs a
// region + health check from the installed copies: proves the published shape.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';

const root = resolve(import.meta.dirname, '..');
const packages = ['core', 'providers-local', 'georouter'];
const work = mkdtempSync(join(tmpdir(), 'meridian-pack-'));
const demoMmdb = readFileSync(join(root, 'examples/quickstart/data/demo-city.mmdb'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  for (const pkg of packages) run('npx', ['--yes', 'pnpm@10.34.9', 'pack', '--pack-destination', work], join(root, 'packages', pkg));
  const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz')).map((f) => join(work, f));
  const app = join(work, 'host-app');
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'host-app', private: true, version: '1.0.0' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], app);

  const scenario = (load) => `
    ${load}
    const provider = createLocalProvider({ regions: [{ id: 'pack-test', location: { lat: 0, lon: 0 } }] });
    (async () => {
      await provider.deploy({ name: 'pack', regions: [] });
      const monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis: 200, timeoutMillis: 100 });
      const healthy = new Promise((resolve) => monitor.on('region:healthy', resolve));
      monitor.start();
      const event = await healthy;
      const router = new GeoRouter({ regions: provider.regions(), database: GeoDatabase.fromBuffer(mmdb), monitor });
      if (router.route({ ip: '10.1.2.3' }).region !== 'pack-test') throw new Error('routing broken');
      router.close();
      await monitor.stop();
      await provider.stop();
      if (!MeridianError.isInstance(new MeridianError('INVALID_CONFIG', 'x'))) throw new Error('brand broken');
      console.log('ok', event.regionId, event.state);
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  // A tiny MMDB (written by testkit) for the routing check; no network, no big download.
  writeFileSync(join(app, 'city.mmdb'), demoMmdb);
  const mmdbLoad = (fs) => `const mmdb = ${fs}.readFileSync(__dirname_ + '/city.mmdb');`;
  writeFileSync(
    join(app, 'cjs.cjs'),
    scenario(`const { HealthMonitor, MeridianError } = require('@meridian/core'); const { createLocalProvider } = require('@meridian/providers-local'); const { GeoDatabase, GeoRouter } = require('@meridian/georouter'); const __dirname_ = __dirname; ${mmdbLoad("require('node:fs')")}`),
  );
  writeFileSync(
    join(app, 'esm.mjs'),
    scenario(`import { HealthMonitor, MeridianError } from '@meridian/core'; import { createLocalProvider } from '@meridian/providers-local'; import { GeoDatabase, GeoRouter } from '@meridian/georouter'; import * as fs from 'node:fs'; const __dirname_ = import.meta.dirname; ${mmdbLoad('fs')}`),
  );
  run('node', ['-e', "require('@meridian/core'); require('@meridian/providers-local'); require('@meridian/georouter')"], app);
  for (const file of ['cjs.cjs', 'esm.mjs']) {
    const out = run('node', [file], app).trim();
    if (out !== 'ok pack-test healthy') throw new Error(`${file}: unexpected output ${out}`);
    console.log(`check-pack: ${file} from tarballs: ${out}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
