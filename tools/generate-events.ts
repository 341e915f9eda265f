// Writes a seeded history as JSON Lines: `npm run generate -- --partners 1000 --events 100000 --out events.jsonl`.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { generateHistory } from './generate/history.ts';

const options = new Command('generate-events')
  .option('--partners <n>', 'number of partners', '1000')
  .option('--events <n>', 'approximate number of events', '100000')
  .option('--months <n>', 'length of the history in months', '24')
  .option('--until <date>', 'last business day', '2026-11-23')
  .option('--seed <n>', 'random seed', '42')
  .requiredOption('--out <file>', 'output JSONL file')
  .parse()
  .opts<{ partners: string; events: string; months: string; until: string; seed: string; out: string }>();

const partners = Number(options.partners);
const out = createWriteStream(options.out);
let count = 0;
for (const event of generateHistory({
  partners,
  seed: Number(options.seed),
  until: options.until,
  months: Number(options.months),
  eventsPerPartner: Number(options.events) / partners,
})) {
  if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain');
  count++;
}
out.end();
await once(out, 'finish');
process.stderr.write(`wrote ${count} events for ${partners} partners to ${options.out}\n`);
