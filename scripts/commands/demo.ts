// `tierline demo [--duration 60s] [--partners 2000] [--seed 42]`: the whole pipeline on a
// realistic program with live events, on the local services or fallbacks (scripts/demo/).
import type { Command } from 'commander';
import { runDemo } from '../demo/run.ts';
import {
  DEFAULT_DATABASE,
  DEFAULT_QUEUE_PREFIX,
  DEMO_TODAY,
  parseDemoOptions,
  type RawDemoOptions,
} from '../demo/options.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'seed a realistic program and partners, run every worker, stream live events and show tier changes and emails as they happen',
    )
    .option('--duration <time>', 'how long live events stream (e.g. 60s, 2m)', '60s')
    .option('--partners <n>', 'partners in the generated history (about 55 events each)', '2000')
    .option('--seed <n>', 'seed of the history and the live events', '42')
    .option('--rate <n>', 'live events per second', '4')
    .option(
      '--day-every <time>',
      'advance the simulated day and run the nightly recompute this often (0: never)',
      '10s',
    )
    .option('--database <name>', 'the database to drop and recreate (must start with tierline_demo)', DEFAULT_DATABASE)
    .option('--queue-prefix <prefix>', 'queue key prefix to use and wipe (must contain "demo")', DEFAULT_QUEUE_PREFIX)
    .option('--data-dir <dir>', 'files of an embedded Postgres, a private Redis and the worker log', '.data')
    .addHelpText(
      'after',
      `\nServices: DATABASE_URL / REDIS_URL, else the local defaults; when no PostgreSQL answers, an embedded one\n(data in <data-dir>/pg); when no Redis answers and redis-server is on the PATH, a private one.\n"Today" is TIERLINE_TODAY, default ${DEMO_TODAY}. Emails: SMTP_URL, else .eml files in MAIL_OUTBOX_DIR (./outbox).`,
    )
    .action(async (raw: RawDemoOptions) => {
      await runDemo(parseDemoOptions(raw));
      // Everything is closed by now; should a stray handle keep the process alive, leave anyway.
      setTimeout(() => process.exit(process.exitCode ?? 0), 5_000).unref();
    });
}
