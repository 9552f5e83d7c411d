import { runSessionRegistryConformance } from '@meridian/testkit';
import { MemorySessionRegistry } from './memory-session-registry.js';

// Core's tests may use testkit (a dev-only, path-mapped import); core itself never depends on it.
runSessionRegistryConformance('memory', async () => ({ registry: new MemorySessionRegistry() }));
