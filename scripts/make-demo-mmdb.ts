// Builds examples/quickstart/data/demo-city.mmdb with testkit's MMDB writer:
// a few KB of DB-IP-shaped records for the demo's sample cities, so the demo
// needs no 63 MB download. A test checks the committed file matches this output.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dbipNetworks, writeMmdb } from '@meridian/testkit';

export function demoMmdb(): Buffer {
  return writeMmdb({ networks: dbipNetworks(), databaseType: 'Meridian-Demo-City' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fileURLToPath(new URL('../examples/quickstart/data/demo-city.mmdb', import.meta.url));
  writeFileSync(out, demoMmdb());
  console.log(`written ${out}`);
}
