// CPU seconds (user + system) of processes and of a database's Postgres backends, from
// /proc/PID/stat: unlike wall time, they stay meaningful when other work loads the machine.
// Postgres must run on this machine (the bench's default); otherwise its share reads 0.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { processCpu } from './meter.ts';

/** CPU seconds a process has used so far; 0 when it is gone or unreadable. */
export const cpuSeconds = processCpu;

/**
 * CPU seconds used so far by each client backend connected to the database `db` is on
 * (autovacuum workers, which a load of a million rows keeps busy for minutes, are not counted).
 */
async function backends(db: Kysely<DB>): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`.execute(
    db,
  );
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}

export interface CpuUse {
  /** CPU seconds of the given processes. */
  processes: number;
  /** CPU seconds of the database's backends (connections that lived through or opened during it). */
  postgres: number;
}

/**
 * Starts counting: the returned function gives the CPU seconds used since by `pids` and by
 * the database's backends (a backend that closed in between is not counted).
 */
export async function cpuMeter(db: Kysely<DB>, pids: readonly (number | undefined)[]): Promise<() => Promise<CpuUse>> {
  const before = await backends(db);
  const mine = pids.map((pid) => [pid, cpuSeconds(pid)] as const);
  return async () => {
    const after = await backends(db);
    let postgres = 0;
    for (const [pid, s] of after) postgres += s - (before.get(pid) ?? 0);
    const processes = mine.reduce((n, [pid, s]) => n + cpuSeconds(pid) - s, 0);
    return { processes: Math.round(processes * 100) / 100, postgres: Math.round(postgres * 100) / 100 };
  };
}
