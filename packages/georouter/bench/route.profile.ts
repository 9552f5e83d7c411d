// Uncached route() alone, for `node --cpu-prof --import tsx bench/route.profile.ts`
// (the profile then shows where an uncached decision's time goes; read it with
// `node --import tsx bench/cpuprofile-summary.ts <file>.cpuprofile`). Same IPs and regions as router.bench.ts.
import { fileURLToPath } from 'node:url';
import { defineRegions } from '@meridian/core';
import { GeoDatabase, GeoRouter, locateDbipCityLite } from '@meridian/georouter';

const paths = locateDbipCityLite(fileURLToPath(import.meta.url));
if (!paths) throw new Error('DB-IP City Lite is not installed: pnpm install');

let seed = 0x9e3779b9;
function next(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
function publicIp(): string {
  for (;;) {
    const n = next();
    const a = n >>> 24;
    if (a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && ((n >>> 16) & 0xc0) === 64) || (a === 169 && ((n >>> 16) & 255) === 254) || (a === 172 && ((n >>> 16) & 0xf0) === 16) || (a === 192 && ((n >>> 16) & 255) === 168)) continue;
    return `${a}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
}

const regions = defineRegions([
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, endpoint: 'https://us-east.example.com' },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, endpoint: 'https://eu-west.example.com' },
  { id: 'ap-south', location: { lat: 1.3, lon: 103.8 }, endpoint: 'https://ap-south.example.com' },
  { id: 'ru-central', location: { lat: 55.7, lon: 37.6 }, endpoint: 'https://ru-central.example.com' },
]);

const ips = Array.from({ length: 300_000 }, publicIp);
const database = await GeoDatabase.open(paths.ipv4);
const router = new GeoRouter({ regions, database, cache: { maxEntries: 0 }, fallbackRegion: 'us-east' });
let sink = 0;
const start = performance.now();
for (let round = 0; round < 10; round++) for (const ip of ips) sink += router.route({ ip }).score > 0 ? 1 : 0;
console.log(`${((10 * ips.length) / ((performance.now() - start) / 1000)).toFixed(0)} routes/s (${sink})`);
