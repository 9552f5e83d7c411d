// The release flow without publishing: in a scratch copy of the repository,
// `changeset version` applies the pending changesets (versions, changelogs,
// peer ranges), then `pnpm -r publish --dry-run` packs every public package as
// the registry would receive it. Nothing is published; the working tree is untouched.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'meridian-release-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

try {
  const files = run('git', ['ls-files'], root).split('\n').filter(Boolean);
  for (const file of files) cpSync(join(root, file), join(scratch, file), { recursive: true });
  for (const pkg of ['core', 'providers-local', 'georouter', 'session-migration', 'replica-redis', 'sync-directory', 'metrics-prometheus', 'dispatcher', 'cli', 'providers-k8s', 'providers-azure']) cpSync(join(root, 'packages', pkg, 'dist'), join(scratch, 'packages', pkg, 'dist'), { recursive: true });
  // From pnpm's store: no network, and workspace links pnpm publish needs to resolve `workspace:` ranges.
  run('npx', ['--yes', 'pnpm@10.34.9', 'install', '--offline', '--frozen-lockfile', '--ignore-scripts'], scratch);
  run(join(scratch, 'node_modules', '.bin', 'changeset'), ['version'], scratch);
  for (const pkg of ['core', 'providers-local', 'georouter', 'session-migration', 'replica-redis', 'sync-directory', 'metrics-prometheus', 'dispatcher', 'cli', 'providers-k8s', 'providers-azure']) {
    const manifest = JSON.parse(readFileSync(join(scratch, 'packages', pkg, 'package.json'), 'utf8'));
    const changelog = readFileSync(join(scratch, 'packages', pkg, 'CHANGELOG.md'), 'utf8');
    console.log(`check-release: ${manifest.name} -> ${manifest.version} (${changelog.split('\n').length} changelog lines)`);
  }
  const out = run('npx', ['--yes', 'pnpm@10.34.9', '-r', 'publish', '--dry-run', '--no-git-checks', '--access', 'public'], scratch);
  const published = out.split('\n').filter((l) => /^\+ @meridian\//.test(l.trim()) || /Tarball Details|package: @meridian/.test(l));
  console.log(published.join('\n') || out.slice(-2000));
  console.log('check-release: changeset version and publish --dry-run succeeded');
} catch (error) {
  console.error(String(error.stderr ?? '').split('\n').filter((l) => !l.includes('npm notice')).join('\n'));
  throw error;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
