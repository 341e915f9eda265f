// The only clock of the pipeline. TIERLINE_TODAY pins "today" (YYYY-MM-DD) for demos,
// tests and replays of a past day; otherwise it is the current day in the program's zone.
import { readVariable } from '../config/env.ts';
import { dayOrThrow, type Day } from '../domain/dates.ts';
import { dayInZone } from '../domain/timestamps.ts';

export function today(timezone: string, env: Record<string, string | undefined> = process.env): Day {
  const pinned = readVariable('TIERLINE_TODAY', env);
  return pinned === undefined ? dayInZone(Date.now(), timezone) : dayOrThrow(pinned);
}
