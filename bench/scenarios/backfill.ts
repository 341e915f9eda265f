// `backfill`: `tierline ingest FILE --backfill` on a seeded history (validation, inbox,
// facts, owed recomputes, one wake-up job per partner), timed as a separate process against
// COPY of the same lines into a bare one-column jsonb table (psql's \copy, client-side like
// the backfill).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { writeEventsFile } from '../lib/data.ts';
import { openEnv, runChild, tierline } from '../lib/env.ts';
import { round, stopwatch } from '../lib/stats.ts';
import { sampleBackends, waitedChildrenCpuSeconds } from '../lib/cpu-backfill.ts';

export interface BackfillOptions {
  seed: number;
  events: number;
  keep: boolean;
  log(line: string): void;
}

export interface BackfillResult {
  events: number;
  partners: number;
  seconds: number;
  eventsPerSec: number;
  copySeconds: number;
  copyRowsPerSec: number;
  peakRssMb: number;
  /** CPU microseconds per event: the tierline process (all its threads) and its Postgres backends. */
  nodeCpuUsPerEvent: number;
  postgresCpuUsPerEvent: number;
  /** The same for the baseline: psql and its backend, per row. */
  copyClientCpuUsPerRow: number;
  copyPostgresCpuUsPerRow: number;
}

async function psqlCopy(url: string, path: string): Promise<void> {
  // CSV with quote and delimiter bytes that never occur in JSON text: each line is one value, verbatim.
  const command = `\\copy bench_copy (payload) from '${path}' with (format csv, quote e'\\x01', delimiter e'\\x02')`;
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', command], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`psql \\copy exited with ${code}`);
}

export async function runBackfill(o: BackfillOptions): Promise<BackfillResult> {
  const partners = Math.max(1, Math.round(o.events / 100));
  const path = join(tmpdir(), `tierline-bench-backfill-${process.pid}.jsonl`);
  let elapsed = stopwatch();
  const events = await writeEventsFile(path, partners, o.events, o.seed);
  o.log(`backfill: generated ${events} events for ${partners} partners in ${round(elapsed())} s`);
  const e = await openEnv('backfill', { keep: o.keep });
  try {
    let children = waitedChildrenCpuSeconds();
    let backends = sampleBackends(e.db);
    elapsed = stopwatch();
    const cli = tierline(e.env, 'ingest --backfill', ['ingest', path, '--backfill'], 'pipe');
    await runChild(cli);
    const seconds = round(elapsed(), 2);
    const nodeCpu = waitedChildrenCpuSeconds() - children;
    const postgresCpu = await backends.stop();
    o.log(`backfill: ${events} events in ${seconds} s`);
    await sql`create table bench_copy (payload jsonb not null)`.execute(e.db);
    children = waitedChildrenCpuSeconds();
    backends = sampleBackends(e.db);
    elapsed = stopwatch();
    await psqlCopy(e.url, path);
    const copySeconds = round(elapsed(), 2);
    const copyClientCpu = waitedChildrenCpuSeconds() - children;
    const copyPostgresCpu = await backends.stop();
    const copied = await sql<{ n: string }>`select count(*)::text as n from bench_copy`.execute(e.db);
    if (Number(copied.rows[0]?.n) !== events)
      throw new Error(`COPY stored ${copied.rows[0]?.n} rows, expected ${events}`);
    const us = (cpuSeconds: number): number => round((cpuSeconds * 1e6) / events, 1);
    o.log(
      `backfill: COPY of the same rows in ${copySeconds} s (ratio ${round(copySeconds / seconds, 3)}); CPU µs per event: ` +
        `tierline ${us(nodeCpu)} + postgres ${us(postgresCpu)}, COPY psql ${us(copyClientCpu)} + postgres ${us(copyPostgresCpu)}`,
    );
    return {
      events,
      partners,
      seconds,
      eventsPerSec: round(events / seconds, 0),
      copySeconds,
      copyRowsPerSec: round(events / copySeconds, 0),
      peakRssMb: cli.peakMb(),
      nodeCpuUsPerEvent: us(nodeCpu),
      postgresCpuUsPerEvent: us(postgresCpu),
      copyClientCpuUsPerRow: us(copyClientCpu),
      copyPostgresCpuUsPerRow: us(copyPostgresCpu),
    };
  } finally {
    rmSync(path, { force: true });
    await e.close();
  }
}
