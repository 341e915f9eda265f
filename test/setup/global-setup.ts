// Vitest global setup of the integration project: finds PostgreSQL and Redis,
// rebuilds the migrated template database once per run, and tells the test files
// (provide/inject) what is available. Without services, integration tests skip
// with the reason, except under CI=true, where a missing service fails the run.
import type { TestProject } from 'vitest/node';
import { findPostgres, findRedis, type StartedService } from './services.ts';
import { rebuildTemplate } from './template.ts';
import './provided.ts';

function publish(service: StartedService) {
  return { available: service.available, url: service.url, reason: service.reason };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await findPostgres();
  const redis = await findRedis();
  const teardown = async (): Promise<void> => {
    await Promise.all([postgres.stop(), redis.stop()]);
  };
  try {
    if (postgres.available) await rebuildTemplate(postgres.url);
    if (process.env.CI && (!postgres.available || !redis.available)) {
      throw new Error(`CI needs its services: ${[postgres.reason, redis.reason].filter(Boolean).join('; ')}`);
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  for (const [name, s] of [
    ['PostgreSQL', postgres],
    ['Redis', redis],
  ] as const) {
    if (!s.available) console.warn(`[tierline tests] ${name} unavailable, its tests are skipped: ${s.reason}`);
  }
  project.provide('postgres', publish(postgres));
  project.provide('redis', publish(redis));
  return teardown;
}
