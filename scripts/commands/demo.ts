// `tierline demo [--duration 60s] [--partners 2000] [--seed 42]`: the whole pipeline on a
// realistic program with live events, on the local services or fallbacks. The demo is a
// development tool (tools/demo/) loaded only when the command runs: the production build has
// no tools/, yet its --help still lists `demo`, and running it says where the demo lives.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type * as TsxApi from 'tsx/esm/api';
import {
  DEFAULT_DATABASE,
  DEFAULT_QUEUE_PREFIX,
  DEMO_TODAY,
  type DemoEntry,
  type RawDemoOptions,
} from '../lib/demo-entry.ts';
import { CliError } from '../lib/errors.ts';

const NOT_HERE =
  'demo: the demo ships with the source tree (tools/demo/), not the production image; run it from a clone';

async function loadDemo(): Promise<DemoEntry> {
  // Compiled, this module is dist/scripts/commands/demo.js and the demo stays TypeScript in the
  // source tree, one folder further up. The path is built at run time so that tsc neither
  // follows it into tools/ nor compiles tools/ into dist/.
  const compiled = import.meta.url.endsWith('.js');
  const entry = new URL(`${compiled ? '../../../' : '../../'}tools/demo/run.ts`, import.meta.url);
  if (!existsSync(entry)) throw new CliError(NOT_HERE);
  if (compiled) {
    const tsx = (await import('tsx/esm/api').catch(() => undefined)) as typeof TsxApi | undefined;
    if (tsx === undefined) throw new CliError(`${NOT_HERE} with its dev dependencies (npm ci)`);
    tsx.register();
  }
  return (await import(entry.href)) as DemoEntry;
}

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
      `\nServices: DATABASE_URL / REDIS_URL, else the local defaults; when no PostgreSQL answers, an embedded ` +
        `one\n(data in <data-dir>/pg); when no Redis answers and redis-server is on the PATH, a private one.\n"Today" ` +
        `is TIERLINE_TODAY, default ${DEMO_TODAY}. Emails: SMTP_URL, else .eml files in MAIL_OUTBOX_DIR (./outbox).`,
    )
    .action(async (raw: RawDemoOptions) => {
      const demo = await loadDemo();
      try {
        await demo.runDemoCommand(raw);
      } catch (error) {
        // Run from dist/, the demo's modules are the TypeScript copies: its CliError is another class.
        if (error instanceof Error && error.name === 'CliError' && !(error instanceof CliError))
          throw new CliError(error.message, (error as CliError).exitCode, { cause: error.cause });
        throw error;
      }
      // Everything is closed by now; should a stray handle keep the process alive, leave anyway.
      setTimeout(() => process.exit(process.exitCode ?? 0), 5_000).unref();
    });
}
