// `tierline dlq list [--json] [--all]`, `dlq replay [--id ...]` and `dlq purge`: the
// dead-letter store. Replay re-validates each event as stored (so a fixed program, or a row
// corrected in place, lets it through); fixed events are applied and marked replayed,
// still-broken ones stay. Purge removes what is not worth replaying (audited). Arguments are
// checked before Postgres is touched.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import {
  checkDeadLetterIds,
  listDeadLetters,
  purgeDeadLetters,
  purgeFilter,
  replayDeadLetters,
  wakeRecomputes,
  type PurgeRequest,
} from '../../services/dead-letters.ts';
import { Refusal } from '../../services/errors.ts';
import { CliError, refusalsAsCliErrors } from '../lib/errors.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';

const preview = (raw: Buffer): string => {
  const text = raw.toString('utf8').replace(/[\r\n\t]+/g, ' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/** A check that needs no services, as a one-line CliError. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof Refusal) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
}

/** Where a dead letter came from (file:line, or the request) and which event it claims to be. */
function describeRow(r: {
  origin: string | null;
  origin_line: number | null;
  source: string | null;
  event_id: string | null;
}): string {
  const where = r.origin === null ? undefined : r.origin_line === null ? r.origin : `${r.origin}:${r.origin_line}`;
  const event = r.source === null && r.event_id === null ? undefined : `${r.source ?? '?'}:${r.event_id ?? '?'}`;
  return [where ?? '(origin not recorded)', event].filter((p) => p !== undefined).join(' ');
}

export async function listDlq(options: { json?: boolean; all?: boolean }): Promise<void> {
  const db = await openDatabase();
  try {
    const rows = await listDeadLetters(db, { includeReplayed: options.all });
    for (const r of rows) {
      const reason = (r.reason as { message?: string }).message ?? JSON.stringify(r.reason);
      if (options.json) {
        console.log(
          JSON.stringify({
            id: r.id,
            source: r.source,
            eventId: r.event_id,
            origin: r.origin,
            line: r.origin_line,
            runId: r.run_id,
            reason,
            raw: r.raw.toString('utf8'),
            firstSeenAt: r.first_seen_at,
            lastSeenAt: r.last_seen_at,
            attempts: r.attempts,
            replayedAt: r.replayed_at,
          }),
        );
      } else {
        console.log(
          `#${r.id} ${describeRow(r)} seen ${r.attempts}× (last ${r.last_seen_at.toISOString()}): ${reason}\n    ${preview(r.raw)}`,
        );
      }
    }
    if (rows.length === 0 && !options.json) console.log('the dead-letter store is empty');
  } finally {
    await db.destroy();
  }
}

export async function replayDlq(options: { id?: string[] }): Promise<{ replayed: number; stillBroken: number }> {
  const ids = options.id === undefined ? undefined : checked(() => checkDeadLetterIds(options.id ?? []));
  const db = await openDatabase();
  try {
    const { owed, ...summary } = await refusalsAsCliErrors(() => replayDeadLetters(db, ids));
    if (owed.length > 0) {
      const services = await openQueueServices('producer');
      try {
        await wakeRecomputes(services.queues, owed);
      } finally {
        await services.close();
      }
    }
    console.log(`replayed ${summary.replayed}, still broken ${summary.stillBroken}`);
    return summary;
  } finally {
    await db.destroy();
  }
}

interface PurgeOptions {
  id?: string[];
  before?: string;
  source?: string;
  all?: boolean;
  by?: string;
}

export async function purgeDlq(options: PurgeOptions): Promise<{ removed: number }> {
  const request: PurgeRequest = { ids: options.id, before: options.before, source: options.source, all: options.all };
  checked(() => purgeFilter(request));
  if (options.by !== undefined && options.by.trim() === '') throw new CliError('--by: expected a name, got ""');
  const db = await openDatabase();
  try {
    const result = await refusalsAsCliErrors(() => purgeDeadLetters(db, request, options.by ?? userInfo().username));
    console.log(`removed ${result.removed} dead letter${result.removed === 1 ? '' : 's'}`);
    return result;
  } finally {
    await db.destroy();
  }
}

export function registerDlq(program: Command): void {
  const cmd = program.command('dlq').description('the dead-letter store');
  cmd
    .command('list')
    .option('--json', 'JSON Lines')
    .option('--all', 'include replayed ones')
    .description('list dead-lettered events with their reasons and where they came from (file:line)')
    .action(async (o: { json?: boolean; all?: boolean }) => listDlq(o));
  cmd
    .command('replay')
    .option('--id <ids...>', 'only these dead letters')
    .description('re-validate and apply dead-lettered events; still-broken ones stay')
    .action(async (o: { id?: string[] }) => {
      await replayDlq(o);
    });
  cmd
    .command('purge')
    .option('--id <ids...>', 'these dead letters')
    .option('--before <date>', 'last seen before this day (YYYY-MM-DD, UTC)')
    .option('--source <source>', 'of this source (crm, lms, erp)')
    .option('--all', 'every dead letter, replayed or not (instead of filters)')
    .option('--by <name>', 'who purges, for the audit log (default: the OS user)')
    .description('remove dead letters not worth replaying (every filter given must match), audited')
    .action(async (o: PurgeOptions) => {
      await purgeDlq(o);
    });
}
