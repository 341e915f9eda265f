// What test/setup/global-setup.ts hands to test files through vitest's
// provide()/inject(): which services answered and where.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';
export interface ServiceProvision {
  available: boolean;
  /** Where the service is (a local one, or a container started for this run). */
  url: string;
  /** Why it is unavailable; empty when available. */
  reason: string;
}

/** Why a service is missing when a test runs outside the integration project. */
export const NO_GLOBAL_SETUP =
  'no global setup ran: name the test *.int.test.ts (or put it under test/db/) to get services';

/**
 * The template is named after its migrations (file names and contents), so two checkouts with
 * different migrations — a branch and main, side by side on one server — never clone each
 * other's schema.
 */
export const TEMPLATE_DATABASE = `tierline_test_template_${migrationsDigest()}`;
/** Per-file databases are named `${TEST_DATABASE_PREFIX}<base36 ms>_<random>`; the time lets stale ones be swept. */
export const TEST_DATABASE_PREFIX = 'tierline_t_';
/** pg advisory lock taken exclusively while the template is rebuilt and shared while it is cloned. */
export const TEMPLATE_LOCK_KEY = 730_118_001;

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: ServiceProvision;
    redis: ServiceProvision;
  }
}

function migrationsDigest(): string {
  const dir = join(repoRoot, 'db/migrations');
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort())
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(dir, name)));
  return hash.digest('hex').slice(0, 12);
}
