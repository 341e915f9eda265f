// `tierline dlq list [--json]` and `dlq replay [--id ...]`: the dead-letter store. Replay
// re-validates each event as stored (so a fixed program, or a row corrected in place, lets
// it through); fixed events are applied and marked replayed, still-broken ones stay.
import type { Command } from 'commander';
import { listDeadLetters, replayDeadLetters, wakeRecomputes } from '../../services/dead-letters.ts';
import { refusalsAsCliErrors } from '../lib/errors.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';

const preview = (raw: Buffer): string => {
  const text = raw.toString('utf8').replace(/[\r\n\t]+/g, ' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

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
          `#${r.id} ${r.source ?? '?'}:${r.event_id ?? '?'} seen ${r.attempts}× (last ${r.last_seen_at.toISOString()}): ${reason}\n    ${preview(r.raw)}`,
        );
      }
    }
    if (rows.length === 0 && !options.json) console.log('the dead-letter store is empty');
  } finally {
    await db.destroy();
  }
}

export async function replayDlq(options: { id?: string[] }): Promise<{ replayed: number; stillBroken: number }> {
  const db = await openDatabase();
  try {
    const { owed, ...summary } = await refusalsAsCliErrors(() => replayDeadLetters(db, options.id));
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

export function registerDlq(program: Command): void {
  const cmd = program.command('dlq').description('the dead-letter store');
  cmd
    .command('list')
    .option('--json', 'JSON Lines')
    .option('--all', 'include replayed ones')
    .description('list dead-lettered events with their reasons')
    .action(async (o: { json?: boolean; all?: boolean }) => listDlq(o));
  cmd
    .command('replay')
    .option('--id <ids...>', 'only these dead letters')
    .description('re-validate and apply dead-lettered events; still-broken ones stay')
    .action(async (o: { id?: string[] }) => {
      await replayDlq(o);
    });
}
