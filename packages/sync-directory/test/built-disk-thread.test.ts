// The disk threads run from the source text of their functions (see src/disk-worker.ts): the text a bundler
// wrote must run on its own. Checked on the built package, both module formats, in a plain Node process (no
// test-runner transform): a store opens, scans a file that is cut into chunks, and sends a chunk's bytes.
// Runs on the built packages (`pnpm -r build`, which `npm test` does first).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

const script = (load: string): string => `
${load}
const fs = require('node:fs'); const os = require('node:os'); const path = require('node:path'); const crypto = require('node:crypto');
(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-built-disk-'));
  try {
    fs.writeFileSync(path.join(dir, 'big.bin'), crypto.randomBytes(2_000_000));
    const store = await DirectoryReplicaStore.open({ regionId: 'x', dataPath: dir, durable: false });
    const chunks = (await store.scan({ since: 0, limit: 1000 })).records.filter((r) => r.key.startsWith('chunk:'));
    const bytes = chunks[0].value;
    const ok = chunks.length > 20 && bytes instanceof Uint8Array && crypto.createHash('sha256').update(bytes).digest('hex') === chunks[0].key.slice(6);
    await store.close();
    process.stdout.write(ok ? 'ok ' + chunks.length : 'bad');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => { process.stdout.write('failed: ' + e.message); process.exitCode = 1; });
`;

it('the built package runs its disk threads, as CommonJS and as an ES module', () => {
  expect(existsSync(`${dist}index.cjs`) && existsSync(`${dist}index.js`), 'build first: npx pnpm@10.34.9 -r build').toBe(true);
  const dir = mkdtempSync(join(tmpdir(), 'meridian-built-disk-scripts-'));
  try {
    const cjs = join(dir, 'check.cjs');
    writeFileSync(cjs, script(`const { DirectoryReplicaStore } = require(${JSON.stringify(`${dist}index.cjs`)});`));
    const esm = join(dir, 'check.mjs');
    writeFileSync(esm, script(`import { createRequire } from 'node:module';\nimport { DirectoryReplicaStore } from ${JSON.stringify(`${dist}index.js`)};\nconst require = createRequire(import.meta.url);`));
    for (const file of [cjs, esm]) expect(execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 })).toMatch(/^ok \d+$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
