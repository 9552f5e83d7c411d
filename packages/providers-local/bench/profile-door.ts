// Profiles the front door under closed-loop load: node --cpu-prof --import tsx bench/profile-door.ts
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HealthMonitor } from '@meridian/core';
import { createLocalProvider } from '../src/index.js';

const provider = createLocalProvider({ regions: [{ id: 'us-east', location: { lat: 37.5, lon: -77.5 } }, { id: 'eu-west', location: { lat: 53.3, lon: -6.2 } }] });
await provider.deploy({ name: 'profile', regions: [] });
const monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis: 1_000, timeoutMillis: 500 });
monitor.start();
await provider.setTraffic({ 'us-east': 1 });
const door = await provider.startFrontDoor({ monitor });
const script = fileURLToPath(new URL('./closed-loop.ts', import.meta.url));
const out = await new Promise<string>((resolve) => {
  const child = spawn(process.execPath, ['--import', 'tsx', script, door.url, '32', '500', '4000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.on('data', (c) => (text += c));
  child.on('exit', () => resolve(text));
});
console.log(out.trim());
await monitor.stop();
await provider.stop();
process.exit(0);
