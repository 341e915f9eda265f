// The shape of bench/out/latest.json that others read (issue #7 names these fields); the
// run validates its own output against it before writing, and the smoke test reads it back.
import { z } from 'zod';

const num = z.number().finite().nonnegative();
const latency = z.object({ p50: num, p95: num, p99: num });

export const benchOutput = z
  .object({
    quick: z.boolean(),
    dryRun: z.boolean(),
    commit: z.string(),
    startedAt: z.iso.datetime(),
    e2e: z.object({ eventsPerSec: num, baselineNoopJobsPerSec: num, latencyMs: latency }).passthrough(),
    nightly: z
      .object({ partners: num, deals: num, seconds: num, steadySeconds: num, sqlBaselineSeconds: num, peakRssMb: num })
      .passthrough(),
    incremental: z
      .object({
        smallDeals: num,
        largeDeals: num,
        smallP50Ms: num,
        largeP50Ms: num,
        smallP99Ms: num,
        largeP99Ms: num,
        shortHistoryP50Ms: num,
        longHistoryP50Ms: num,
      })
      .passthrough(),
    backfill: z.object({ events: num, eventsPerSec: num, copyRowsPerSec: num }).passthrough(),
    evaluate: z.object({ partners: num, events: num, seconds: num }).passthrough(),
  })
  .passthrough();

/** Every scenario present: the full output of a run without --only. */
export type BenchOutput = z.output<typeof benchOutput>;
