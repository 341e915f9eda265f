// Redis helpers for tests. Tests share one Redis server, so every queue a test
// creates lives under its own key prefix; a crashed run's keys are recognisable
// (tltest_<base36 ms>_...) and can be swept by age.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { NO_GLOBAL_SETUP, type ServiceProvision } from './provided.ts';

/** The Redis server of this run; `available` false (with `reason`) outside the integration project or without Redis. */
export function redisService(): ServiceProvision {
  const redis = inject('redis') as ServiceProvision | undefined;
  return redis ?? { available: false, url: '', reason: NO_GLOBAL_SETUP };
}

/** A key prefix no other test (or run) uses, e.g. for BullMQ's `prefix` option. */
export function uniquePrefix(label = 't'): string {
  const safe = label.replace(/[^a-zA-Z0-9-]/g, '-');
  return `tltest_${Date.now().toString(36)}_${safe}_${randomBytes(4).toString('hex')}`;
}
