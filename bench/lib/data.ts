// Seeded event files for the scenarios that read JSON Lines (backfill, evaluate): the same
// generator as `npm run generate` (tools/generate/history.ts), so the files can be
// reproduced and shared with `npm run generate -- --partners N --events M --seed S`.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { generateHistory } from '../../tools/generate/history.ts';
import { AS_OF } from './env.ts';

export async function writeEventsFile(path: string, partners: number, events: number, seed: number): Promise<number> {
  const out = createWriteStream(path);
  let count = 0;
  for (const event of generateHistory({
    partners,
    seed,
    until: AS_OF,
    months: 24,
    eventsPerPartner: events / partners,
  })) {
    if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain');
    count++;
  }
  out.end();
  await once(out, 'finish');
  return count;
}
