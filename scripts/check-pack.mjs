// The published shape, checked as users meet it: every public package is packed
// (pnpm pack), linted (publint) and checked for type resolution in every module
// mode (attw); the tarballs are installed with plain npm into a fresh project
// outside the workspace, where an ESM and a CommonJS host app run for real; and
// the examples run from copies outside the repo, as templates would (those that need a cloud or
// clusters against testkit's fakes, served from the repo).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const packages = ['core', 'providers-local', 'georouter', 'session-migration', 'replica-redis', 'sync-directory', 'metrics-prometheus', 'dispatcher', 'cli', 'providers-k8s', 'providers-azure'];
const work = mkdtempSync(join(tmpdir(), 'meridian-pack-'));
const run = (cmd, args, cwd, env = process.env) => execFileSync(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const bin = (name) => join(root, 'node_modules', '.bin', name);

try {
  const tarballs = {};
  for (const pkg of packages) {
    const dir = join(root, 'packages', pkg);
    const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
    const before = new Set(readdirSync(work));
    run('npx', ['--yes', 'pnpm@10.34.9', 'pack', '--pack-destination', work], dir);
    tarballs[name] = join(work, readdirSync(work).find((f) => !before.has(f) && f.endsWith('.tgz')));
    // Lint the tarball pnpm made: publint would otherwise pack again itself, with a `pnpm`
    // that a fresh machine does not have on PATH (only through npx).
    run(bin('publint'), [tarballs[name], '--strict'], root);
    run(bin('attw'), [tarballs[name], '--format', 'ascii'], root);
    console.log(`check-pack: ${name}: publint and attw clean`);
  }

  // A host app installing the tarballs with npm, as users will.
  const app = join(work, 'host-app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'host-app', private: true, version: '1.0.0' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...Object.values(tarballs)], app);
  cpSync(join(root, 'examples/quickstart/data/demo-city.mmdb'), join(app, 'city.mmdb'));
  const body = readFileSync(join(root, 'scripts/embedding/host-app.js'), 'utf8');
  const finish = `.then((line) => console.log(line), (error) => { console.error(error); process.exit(1); });`;
  writeFileSync(
    join(app, 'host-app.mjs'),
    `import * as core from '@meridian/core';\nimport * as local from '@meridian/providers-local';\nimport * as geo from '@meridian/georouter';\nimport * as sessions from '@meridian/session-migration';\nimport { randomBytes } from 'node:crypto';\nimport { readFileSync } from 'node:fs';\n${body}\nmain({ ...core, ...local, ...geo, ...sessions, randomBytes, mmdb: readFileSync(new URL('./city.mmdb', import.meta.url)) })${finish}\n`,
  );
  writeFileSync(
    join(app, 'host-app.cjs'),
    `const core = require('@meridian/core');\nconst local = require('@meridian/providers-local');\nconst geo = require('@meridian/georouter');\nconst sessions = require('@meridian/session-migration');\n${body}\nmain({ ...core, ...local, ...geo, ...sessions, randomBytes: require('node:crypto').randomBytes, mmdb: require('node:fs').readFileSync(__dirname + '/city.mmdb') })${finish}\n`,
  );
  for (const file of ['host-app.mjs', 'host-app.cjs']) {
    const out = run('node', [file], app).trim();
    if (out !== 'routed home, failover home->away, routed away, snapshot sid=1, migrated home->away with book') throw new Error(`${file}: unexpected output "${out}"`);
    console.log(`check-pack: ${file} from tarballs: ${out}`);
  }
  // CommonJS where require() of ES modules is off (Jest-style loaders, Node < 20.19): the host app, and every
  // package's CJS entry with a deploy through p-queue (the ESM-only dependencies are bundled into the CJS builds).
  const noRequireEsm = '--no-experimental-require-module';
  const cjsHost = run('node', [noRequireEsm, 'host-app.cjs'], app).trim();
  if (cjsHost !== 'routed home, failover home->away, routed away, snapshot sid=1, migrated home->away with book') throw new Error(`host-app.cjs ${noRequireEsm}: unexpected output "${cjsHost}"`);
  console.log(`check-pack: host-app.cjs ${noRequireEsm} from tarballs: ${cjsHost}`);
  cpSync(join(root, 'scripts/embedding/cjs-without-require-esm.cjs'), join(app, 'cjs-without-require-esm.cjs'));
  const libraries = Object.keys(tarballs).filter((name) => name !== '@meridian/cli');
  console.log(`check-pack: ${run('node', [noRequireEsm, 'cjs-without-require-esm.cjs', ...libraries], app).trim()} (from tarballs)`);

  // The command line from its tarball: the bin is linked, and it checks a config with the packed engines.
  writeFileSync(join(app, 'meridian.config.yaml'), 'app: { name: shop }\nprovider: { kind: local }\nregions:\n  - { id: us-east, location: { lat: 37.5, lon: -77.5 } }\n');
  const meridian = join(app, 'node_modules', '.bin', 'meridian');
  const cliVersion = run(meridian, ['--version'], app).trim();
  const checked = JSON.parse(run(meridian, ['config'], app));
  if (checked.app.name !== 'shop' || checked.agent.host !== '127.0.0.1') throw new Error(`meridian config from the tarball printed ${JSON.stringify(checked)}`);
  console.log(`check-pack: meridian ${cliVersion} from its tarball: --version and config work`);

  // The examples as templates: copied out of the repo, workspace links replaced by the tarballs.
  const examples = [
    { name: 'quickstart', command: ['node', ['dist/main.js']], expect: 'Done: the killed region went unhealthy and came back' },
    { name: 'http-app', command: ['npm', ['run', 'smoke', '--silent']], expect: 'smoke ok: route eu-west' },
    { name: 'browser-sessions', command: ['node', ['dist/main.js']], expect: 'region-b: Welcome ada, localStorage: dark ["book","lamp"]' },
    // Examples with `fakes` need a cloud: testkit's fakes run in a helper process of the repository (testkit is
    // private, a devDependency the copy cannot install), `<script> --serve` in the example's directory, which prints
    // `NAME=value` lines and keeps them up until its stdin closes; the copy runs with the variables listed in `env`.
    // Three fake kube-apiservers, reached through KUBECONFIG:
    { name: 'k8s-regions', command: ['node', ['dist/main.js', '--cleanup']], expect: 'Done: shop was deployed to 3 clusters', fakes: { script: 'dev/fake-clusters.ts', env: ['KUBECONFIG'] } },
    // The fake ARM: subscription, service principal and Entra authority, ARM endpoint and its CA as a file:
    {
      name: 'azure-vms',
      command: ['node', ['dist/main.js', '--cleanup']],
      expect: 'Done: shop was deployed to 3 Azure regions; eu-west failed over to the next region and back through Traffic Manager, and removed again',
      fakes: {
        script: 'dev/with-fake-arm.ts',
        env: ['AZURE_SUBSCRIPTION_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_AUTHORITY_HOST', 'AZURE_ARM_ENDPOINT', 'AZURE_ARM_CA_FILE', 'AZURE_POLL_INTERVAL_MS'],
      },
    },
  ];
  for (const example of examples) {
    const dir = join(work, example.name);
    cpSync(join(root, 'examples', example.name), dir, { recursive: true, filter: (src) => !/node_modules|dist|[/\\]test([/\\]|$)/.test(src.slice(root.length)) });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const deps of [manifest.dependencies, manifest.devDependencies]) {
      for (const name of Object.keys(deps ?? {})) {
        if (tarballs[name]) deps[name] = `file:${tarballs[name]}`;
        else if (String(deps[name]).startsWith('workspace:')) delete deps[name]; // private helpers (testkit) for the repo-only dev scripts
      }
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
    run('npm', ['run', 'typecheck', '--silent'], dir);
    run('npm', ['run', 'build', '--silent'], dir);
    const fakes = example.fakes ? await startFakes(join(root, 'examples', example.name), example.fakes) : undefined;
    let out;
    try {
      out = run(example.command[0], example.command[1], dir, fakes ? { ...process.env, ...fakes.env } : process.env);
    } finally {
      await fakes?.stop();
    }
    if (!out.includes(example.expect)) throw new Error(`examples/${example.name} copy did not work:\n${out}`);
    console.log(`check-pack: examples/${example.name} runs from a copy outside the repo, on the tarballs`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * Starts an example's fakes (`<script> --serve`, run with tsx in the example's directory of the repository) in a
 * child process and reads the `NAME=value` lines it prints; resolves once every name in `env` has been seen, with
 * those variables and a `stop()` that closes its stdin (the fakes shut down) and waits for it to exit.
 */
function startFakes(exampleDir, { script, env: names }) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--serve'], { cwd: exampleDir, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill(), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolvePromise, reject) => {
    const env = {};
    const fail = (error) => {
      clearTimeout(timer);
      child.kill();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${script} --serve did not print ${names.filter((n) => !(n in env)).join(', ')} within 60 s`)), 60_000);
    exited.then(({ code, signal }) => fail(new Error(`${script} --serve exited with ${code ?? signal}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const eq = line.indexOf('=');
      const name = line.slice(0, eq);
      if (eq <= 0 || !names.includes(name) || name in env) return;
      env[name] = line.slice(eq + 1);
      if (names.every((n) => n in env)) {
        clearTimeout(timer);
        resolvePromise({ env, stop });
      }
    });
  });
}
