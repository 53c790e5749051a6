import type { StoreHealth } from '../../shared/ports.js';

/** Health of the in-process store: always up, reported as 'memory' (single instance only). */
export function createMemoryHealth(): StoreHealth {
  return { kind: 'memory', ping: async () => true };
}
