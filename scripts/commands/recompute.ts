// `tierline recompute (--all [--full] | --partner ID) [--as-of D] [--wait]`: what the nightly schedule
// runs, on demand. Arguments are checked before Redis is touched.
import type { Command } from 'commander';
import { parseDay } from '../../domain/dates.ts';
import { JOBS, QUEUES, jobKey } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { waitForJobs } from '../../queues/wait.ts';
import { CliError } from '../lib/errors.ts';
import { openQueueServices } from '../lib/services.ts';

interface RecomputeOptions {
  all?: boolean;
  partner?: string;
  asOf?: string;
  wait?: boolean;
  full?: boolean;
}

export async function runRecompute(options: RecomputeOptions): Promise<unknown> {
  // Every argument is checked before Redis is touched.
  if (options.partner !== undefined && options.partner.trim() === '')
    throw new CliError(`--partner: expected a partner id, got ${JSON.stringify(options.partner)}`);
  if (Boolean(options.all) === (options.partner !== undefined))
    throw new CliError('give exactly one of --all or --partner ID');
  if (options.full && !options.all) throw new CliError('--full goes with --all');
  if (options.asOf !== undefined && parseDay(options.asOf) === undefined)
    throw new CliError(`--as-of: expected a date YYYY-MM-DD, got ${JSON.stringify(options.asOf)}`);
  const services = await openQueueServices('producer');
  try {
    const waiter = options.wait ? await waitForJobs(services) : undefined;
    try {
      const [job] = options.all
        ? await enqueueMany(
            services.queues,
            JOBS.nightlyRun,
            QUEUES.recompute,
            [{ asOf: options.asOf, ...(options.full ? { full: true } : {}) }],
            {
              jobId: jobKey('nightly', options.asOf ?? 'today', String(Date.now())),
            },
          )
        : // No requestedAt: that marks a wake-up for owed work, which the worker may skip when
          // nothing is owed; an operator's request always recomputes (its own job id, per call).
          await enqueueMany(
            services.queues,
            JOBS.recomputePartner,
            QUEUES.recompute,
            [{ partnerId: options.partner, asOf: options.asOf }],
            {
              jobId: jobKey('recompute', options.partner ?? '', options.asOf ?? 'today', 'cli', String(Date.now())),
            },
          );
      if (!job?.id) throw new CliError('the job was not queued');
      if (!waiter) {
        console.log(`queued ${job.name} ${job.id}`);
        return undefined;
      }
      const [result] = await waiter.until([{ queue: QUEUES.recompute, id: job.id }], (pending) => {
        if (process.stderr.isTTY)
          process.stderr.write(`\rwaiting for ${job.name} (${pending} pending; is \`tierline workers\` running?)   `);
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.log(JSON.stringify(result));
      return result;
    } finally {
      await waiter?.close();
    }
  } finally {
    await services.close();
  }
}

export function registerRecompute(program: Command): void {
  program
    .command('recompute')
    .option('--all', 'every partner that is due (what the nightly schedule runs)')
    .option('--full', 'with --all: recompute every partner, due or not (after a change that affects all)')
    .option('--partner <id>', 'one partner')
    .option('--as-of <date>', 'advance to this day instead of today')
    .option('--wait', 'return when it is done, printing a summary')
    .description('enqueue recomputation')
    .action(async (options: RecomputeOptions) => {
      await runRecompute(options);
    });
}
