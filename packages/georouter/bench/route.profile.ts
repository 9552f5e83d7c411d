// Uncached route() alone, for `node --cpu-prof --import tsx bench/route.profile.ts`
// (the profile then shows where an uncached decision's time goes; read it with
// `node --import tsx bench/cpuprofile-summary.ts <file>.cpuprofile`). Same IPs and regions as router.bench.ts.
import { fileURLToPath } from 'node:url';
import { GeoDatabase, GeoRouter, locateDbipCityLite } from '@meridian/georouter';
import { benchRegions, publicIp } from './bench-inputs.js';

const paths = locateDbipCityLite(fileURLToPath(import.meta.url));
if (!paths) throw new Error('DB-IP City Lite is not installed: pnpm install');

const regions = benchRegions;

const ips = Array.from({ length: 300_000 }, publicIp);
const database = await GeoDatabase.open(paths.ipv4);
const router = new GeoRouter({ regions, database, cache: { maxEntries: 0 }, fallbackRegion: 'us-east' });
let sink = 0;
const start = performance.now();
for (let round = 0; round < 10; round++) for (const ip of ips) sink += router.route({ ip }).score > 0 ? 1 : 0;
console.log(`${((10 * ips.length) / ((performance.now() - start) / 1000)).toFixed(0)} routes/s (${sink})`);
