import { createLocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, runProviderConformance, seedRegions } from '@meridian/testkit';
import { request } from 'undici';

runProviderConformance('LocalProvider', async () => {
  const provider = createLocalProvider({ regions: seedRegions(3) });
  const pids = new Set<number>();
  return {
    provider,
    regionIds: ['us-east', 'eu-west', 'ap-south'],
    async probe(endpoint) {
      for (const pid of provider.pids()) pids.add(pid);
      const res = await request(`${endpoint}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.body.dump();
      return res.statusCode;
    },
    async close() {
      await provider.stop();
      const leaked = await findLeakedProcesses([...pids]);
      if (leaked.length > 0) throw new Error(`leaked region processes: ${leaked.join(', ')}`);
    },
  };
});
