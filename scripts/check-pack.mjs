// The published shape, checked as users meet it: every public package is packed
// (pnpm pack), linted (publint) and checked for type resolution in every module
// mode (attw); the tarballs are installed with plain npm into a fresh project
// outside the workspace, where an ESM and a CommonJS host app run for real; and
// the quick-start example runs from a copy outside the repo, as a template would.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const packages = ['core', 'providers-local', 'georouter', 'session-migration', 'replica-redis', 'metrics-prometheus', 'cli', 'providers-k8s', 'providers-azure'];
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
    run(bin('publint'), [dir, '--strict'], root);
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
    // Needs clusters: three fake kube-apiservers from testkit run in a helper process of the repository (testkit is
    // private, a devDependency the copy cannot install), and the copy is pointed at them through KUBECONFIG.
    { name: 'k8s-regions', command: ['node', ['dist/main.js', '--cleanup']], expect: 'Done: shop was deployed to 3 clusters', fakeClusters: true },
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
    const fakes = example.fakeClusters ? await startFakeClusters(join(root, 'examples', example.name)) : undefined;
    let out;
    try {
      out = run(example.command[0], example.command[1], dir, fakes ? { ...process.env, KUBECONFIG: fakes.kubeconfig } : process.env);
    } finally {
      fakes?.stop();
    }
    if (!out.includes(example.expect)) throw new Error(`examples/${example.name} copy did not work:\n${out}`);
    console.log(`check-pack: examples/${example.name} runs from a copy outside the repo, on the tarballs`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Starts an example's fake clusters (`dev/fake-clusters.ts --serve`) in a child process; resolves with its KUBECONFIG. */
function startFakeClusters(exampleDir) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/fake-clusters.ts', '--serve'], { cwd: exampleDir, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('fake clusters did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`fake clusters exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('KUBECONFIG=')) return;
      clearTimeout(timer);
      resolvePromise({ kubeconfig: line.slice('KUBECONFIG='.length), stop: () => child.stdin.end() });
    });
  });
}
