// The only clock of the pipeline. TIERLINE_TODAY pins "today" (YYYY-MM-DD) for demos,
// tests and replays of a past day; otherwise it is the current day in the program's zone.
import { parseDay, type Day } from '../domain/dates.ts';
import { dayInZone } from '../domain/timestamps.ts';

export function today(timezone: string, env: Record<string, string | undefined> = process.env): Day {
  const pinned = env.TIERLINE_TODAY?.trim();
  if (pinned) {
    const day = parseDay(pinned);
    if (day === undefined) throw new Error(`TIERLINE_TODAY is not a date YYYY-MM-DD: ${pinned}`);
    return day;
  }
  return dayInZone(Date.now(), timezone);
}
