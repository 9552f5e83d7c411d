// What router.bench.ts and route.profile.ts route: the same regions and the same
// deterministic public IPv4 addresses, so a profile explains the bench's figure.
import { defineRegions } from '@meridian/core';

// Deterministic random public IPv4 addresses (xorshift), skipping special ranges.
let seed = 0x9e3779b9;
function next(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

/** The next public IPv4 address of the sequence. */
export function publicIp(): string {
  for (;;) {
    const n = next();
    const a = n >>> 24;
    if (a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && ((n >>> 16) & 0xc0) === 64) || (a === 169 && ((n >>> 16) & 255) === 254) || (a === 172 && ((n >>> 16) & 0xf0) === 16) || (a === 192 && ((n >>> 16) & 255) === 168)) continue;
    return `${a}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
}

/** The four seed regions, with endpoints. */
export const benchRegions = defineRegions([
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, endpoint: 'https://us-east.example.com' },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, endpoint: 'https://eu-west.example.com' },
  { id: 'ap-south', location: { lat: 1.3, lon: 103.8 }, endpoint: 'https://ap-south.example.com' },
  { id: 'ru-central', location: { lat: 55.7, lon: 37.6 }, endpoint: 'https://ru-central.example.com' },
]);
