// Start-up refuses a job catalog with a job that has no handler or two (DEVELOPERS guide).
import { describe, expect, it } from 'vitest';
import { JOBS } from '../../queues/catalog.ts';
import { checkRegistrations, type Registration } from '../../workers/registry.ts';

const handle = async (): Promise<void> => {};
const all = (): Registration[] => Object.values(JOBS).map((spec) => ({ job: spec.name, handle }));

describe('handler registry', () => {
  it('accepts exactly one handler per catalog job', () => {
    expect(() => checkRegistrations(all())).not.toThrow();
  });

  it('refuses a job without a handler, a job with two, and a handler for an unknown job', () => {
    const missing = all().filter((r) => r.job !== JOBS.reconcile.name);
    expect(() => checkRegistrations(missing)).toThrow(`job ${JOBS.reconcile.name} has no handler`);
    expect(() => checkRegistrations([...all(), { job: JOBS.ingestEvents.name, handle }])).toThrow(
      `job ${JOBS.ingestEvents.name} has 2 handlers`,
    );
    expect(() => checkRegistrations([...all(), { job: 'no-such-job', handle }])).toThrow(
      'handler for no-such-job, which is not in the job catalog',
    );
  });
});
