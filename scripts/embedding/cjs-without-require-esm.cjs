// Loads CommonJS builds as a host that cannot require() ES modules does (Jest-style loaders, Node < 20.19):
// run it with `node --no-experimental-require-module`. Arguments: the CommonJS entries to load (built files or
// package names). Then one call that runs through p-queue, the ESM-only dependency the CJS builds carry inside:
// a deploy of two regions with @meridian/core's MultiRegionDeployer. Prints one line; exits 1 on any failure.
'use strict';

async function main(entries) {
  if (process.features.require_module) throw new Error('run with --no-experimental-require-module');
  const loaded = {};
  for (const entry of entries) loaded[entry] = require(entry);
  const core = Object.values(loaded).find((m) => typeof m.MultiRegionDeployer === 'function');
  if (!core) throw new Error('no @meridian/core among the entries');
  const created = [];
  const provider = {
    name: 'cjs-fake',
    async deploy(spec) {
      created.push(...spec.regions);
      return { regions: spec.regions.map((regionId) => ({ regionId, endpoint: `https://${regionId}.example.test`, state: 'running' })) };
    },
    async destroy() {},
    async status(regionId) {
      return { regionId, state: 'running' };
    },
    async setTraffic() {},
  };
  const report = await new core.MultiRegionDeployer({ provider, concurrency: 2 }).deploy({ spec: { name: 'cjs', regions: ['home', 'away'] } });
  if (report.outcome !== 'completed' || created.length !== 2) throw new Error(`deploy through p-queue: ${JSON.stringify(report)}`);
  return `loaded ${entries.length} CommonJS entries without require(esm); deployed ${created.sort().join(', ')} through p-queue`;
}

main(process.argv.slice(2)).then(
  (line) => console.log(line),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
