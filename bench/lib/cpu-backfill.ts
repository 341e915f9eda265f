// CPU seconds, which stay meaningful on a loaded machine where wall times do not: of the
// children this process has waited for (/proc/self/stat cutime + cstime, so a child's
// threads included), and of the Postgres backends serving one database (sampled from
// /proc while they run: a backend that ends between two samples loses at most one interval).
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { procStat } from './meter.ts';

/** utime + stime of a process (or of one of its threads), in seconds (undefined once it is gone). */
export function processCpuSeconds(pid: number, thread?: number): number | undefined {
  return procStat(pid, thread)?.self;
}

/** CPU seconds of the children this process has waited for, so far. */
export function waitedChildrenCpuSeconds(): number {
  return procStat(process.pid)?.reaped ?? 0;
}

/**
 * Samples the CPU of every backend of `db`'s database other than `db`'s own connections'
 * every `everyMs`; stop() answers the CPU seconds they spent since start (a backend already
 * running at start counts from then, one that starts later from zero).
 */
export function sampleBackends(db: Kysely<DB>, everyMs = 100): { stop(): Promise<number> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let stopped = false;
  const ours = new Set<number>();
  let initial = true;
  const sample = async (): Promise<void> => {
    const { rows } = await sql<{ pid: number; mine: number }>`
      select pid, pg_backend_pid() as mine from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend'`.execute(db);
    for (const r of rows) {
      ours.add(r.mine);
      if (ours.has(r.pid)) continue;
      const cpu = processCpuSeconds(r.pid);
      if (cpu === undefined) continue;
      // A backend that starts during the run counts from zero.
      if (!first.has(r.pid)) first.set(r.pid, initial ? cpu : 0);
      last.set(r.pid, cpu);
    }
    initial = false;
  };
  const before = sample();
  const loop = (async () => {
    await before;
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, everyMs));
      await sample();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await sample();
      let total = 0;
      for (const [pid, cpu] of last) total += cpu - (first.get(pid) ?? cpu);
      return total;
    },
  };
}
