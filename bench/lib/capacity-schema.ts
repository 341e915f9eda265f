// The shape of bench/out/capacity.json (bench/capacity.ts): the tool validates its output
// before writing it, the smoke test reads it back, docs/scaling.md quotes it.
import { z } from 'zod';

const num = z.number().finite();
const nonNegative = num.nonnegative();

const perUnit = z.object({
  /** CPU of the measured worker process(es) per unit, ms. */
  workerCpuMs: nonNegative,
  /** CPU of the whole Postgres server (backends, autovacuum, WAL writer, checkpointer) per unit, ms. */
  postgresCpuMs: nonNegative,
  redisCpuMs: nonNegative,
  walBytes: nonNegative,
  statements: nonNegative,
  redisCommands: nonNegative,
  /** Units per second per core of the worker kind: 1 / its CPU seconds per unit. */
  perCoreWorker: nonNegative,
  /** Units per second per Postgres core: 1 / Postgres CPU seconds per unit. */
  perCorePostgres: nonNegative,
});

export const phaseCost = z.object({
  units: z.record(z.string(), nonNegative),
  wallSeconds: nonNegative,
  loadAverage: z.object({ start: nonNegative, end: nonNegative }),
  workerCpuSeconds: z.record(z.string(), num),
  postgresCpuSeconds: nonNegative,
  postgresCpuByRole: z.object({ client: num, autovacuum: num, background: num }),
  redisCpuSeconds: num,
  walBytes: nonNegative,
  statementCalls: nonNegative,
  topStatements: z.array(
    z.object({ query: z.string(), calls: nonNegative, rows: nonNegative, totalMs: nonNegative, walBytes: nonNegative }),
  ),
  redisCommands: z.record(z.string(), nonNegative),
  perUnit: z.record(z.string(), perUnit),
});
export type PhaseCost = z.output<typeof phaseCost>;

const tableSize = z.object({ rows: nonNegative, heapBytes: nonNegative, indexBytes: nonNegative, toastBytes: num });
export type TableSize = z.output<typeof tableSize>;
const sizes = z.record(z.string(), tableSize);

export const PHASES = [
  'nightlyFirst',
  'nightlyFull',
  'nightlyQuiet',
  'nightlySteady',
  'ingestHttp',
  'ingestBatch',
  'wakes',
  'notifier',
] as const;

export const capacityOutput = z.object({
  tool: z.literal('bench/capacity.ts'),
  size: z.string(),
  dryRun: z.boolean(),
  startedAt: z.iso.datetime(),
  commit: z.string(),
  seconds: nonNegative,
  machine: z.object({
    cpus: nonNegative,
    cpuModel: z.string(),
    memoryGb: nonNegative,
    node: z.string(),
    postgres: z.string(),
    redis: z.string(),
    loadAverageAtStart: nonNegative,
    loadAverageAtEnd: nonNegative,
  }),
  postgresSettings: z.record(z.string(), z.string()),
  population: z.record(z.string(), nonNegative),
  phases: z.object(
    Object.fromEntries(PHASES.map((p) => [p, phaseCost])) as Record<(typeof PHASES)[number], typeof phaseCost>,
  ),
  sizes: z.object({ afterLoad: sizes, afterFirstNightly: sizes, afterNightlies: sizes, afterIngest: sizes }),
  indexes: z.record(z.string(), z.object({ bytes: nonNegative, levels: nonNegative.nullable() })),
  chunkReadBuffersPerPartner: z.record(z.string(), nonNegative),
});
export type CapacityOutput = z.output<typeof capacityOutput>;
