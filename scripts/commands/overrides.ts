// `tierline overrides set ID TIER [--from D] --until D --reason TEXT [--by NAME]`, `list`,
// `clear ID`: manual effective tiers, audited, applied by the timeline from the next recompute.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { sql } from 'kysely';
import { loadProgramSet } from '../../services/programs.ts';
import { pendingRecomputes, requestRecomputes } from '../../db/repositories/recompute-requests.ts';
import { toJsonb } from '../../db/json.ts';
import type { DB } from '../../db/types.ts';
import type { Kysely } from 'kysely';
import { formatDay, parseDay } from '../../domain/dates.ts';
import { enqueueRecomputes } from '../../queues/queues.ts';
import { today } from '../../workers/clock.ts';
import { CliError } from '../lib/errors.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';

interface SetOptions {
  from?: string;
  until: string;
  reason: string;
  by?: string;
}

async function wake(db: Kysely<DB>, partnerId: string): Promise<void> {
  const services = await openQueueServices('producer');
  try {
    await enqueueRecomputes(services.queues, await pendingRecomputes(db, [partnerId]));
  } finally {
    await services.close();
  }
}

export async function setOverride(partnerId: string, tier: string, options: SetOptions): Promise<void> {
  const db = await openDatabase();
  try {
    const program = await loadProgramSet(db);
    if (!program) throw new CliError('no program is loaded: run `tierline program load FILE` first');
    const known = program.versions.some((v) => v.program.tracks.some((t) => t.tiers.some((x) => x.id === tier)));
    if (!known) throw new CliError(`tier ${tier} is in no track of program ${program.id}`);
    const from = options.from ?? formatDay(today(program.timezone));
    if (parseDay(from) === undefined)
      throw new CliError(`--from: expected a date YYYY-MM-DD, got ${JSON.stringify(from)}`);
    if (parseDay(options.until) === undefined)
      throw new CliError(`--until: expected a date YYYY-MM-DD, got ${JSON.stringify(options.until)}`);
    if (options.until < from) throw new CliError(`--until ${options.until} is before --from ${from}`);
    const by = options.by ?? userInfo().username;
    await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('overrides')
        .values({
          partner_id: partnerId,
          tier_id: tier,
          from_day: from,
          until_day: options.until,
          reason: options.reason,
          created_by: by,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('audit_log')
        .values({
          actor: by,
          action: 'override.set',
          partner_id: partnerId,
          details: toJsonb({ id: row.id, tier, from, until: options.until, reason: options.reason }),
        })
        .execute();
      await requestRecomputes(trx, new Map([[partnerId, from]]), new Map([[partnerId, [`override:${row.id}`]]]));
    });
    await wake(db, partnerId);
    console.log(
      `override set: ${partnerId} at ${tier} from ${from} until ${options.until} (${options.reason}, by ${by})`,
    );
  } finally {
    await db.destroy();
  }
}

export async function listOverrides(options: { json?: boolean }): Promise<void> {
  const db = await openDatabase();
  try {
    const rows = await db
      .selectFrom('overrides')
      .selectAll()
      .where('cleared_at', 'is', null)
      .orderBy('partner_id')
      .orderBy('id')
      .execute();
    for (const r of rows) {
      console.log(
        options.json
          ? JSON.stringify({
              id: r.id,
              partnerId: r.partner_id,
              tier: r.tier_id,
              from: r.from_day,
              until: r.until_day,
              reason: r.reason,
              by: r.created_by,
              createdAt: r.created_at,
            })
          : `#${r.id} ${r.partner_id} ${r.tier_id} ${r.from_day}..${r.until_day} by ${r.created_by}: ${r.reason}`,
      );
    }
    if (rows.length === 0 && !options.json) console.log('no active overrides');
  } finally {
    await db.destroy();
  }
}

export async function clearOverrides(partnerId: string, options: { by?: string }): Promise<void> {
  const db = await openDatabase();
  try {
    const by = options.by ?? userInfo().username;
    const cleared = await db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('overrides')
        .set({ cleared_at: sql`now()`, cleared_by: by })
        .where('partner_id', '=', partnerId)
        .where('cleared_at', 'is', null)
        .returning(['id', 'from_day'])
        .execute();
      if (rows.length === 0) return 0;
      await trx
        .insertInto('audit_log')
        .values({
          actor: by,
          action: 'override.clear',
          partner_id: partnerId,
          details: toJsonb({ ids: rows.map((r) => r.id) }),
        })
        .execute();
      const earliest = rows.map((r) => r.from_day).sort()[0] ?? null;
      await requestRecomputes(
        trx,
        new Map([[partnerId, earliest]]),
        new Map([[partnerId, rows.map((r) => `override-cleared:${r.id}`)]]),
      );
      return rows.length;
    });
    if (cleared > 0) await wake(db, partnerId);
    console.log(
      cleared > 0
        ? `cleared ${cleared} override${cleared === 1 ? '' : 's'} of ${partnerId}`
        : `${partnerId} has no active override`,
    );
  } finally {
    await db.destroy();
  }
}

export function registerOverrides(program: Command): void {
  const cmd = program.command('overrides').description('manual overrides of the effective tier (audited)');
  cmd
    .command('set')
    .argument('<partnerId>')
    .argument('<tier>')
    .option('--from <date>', 'first day (default today)')
    .requiredOption('--until <date>', 'last day (inclusive)')
    .requiredOption('--reason <text>', 'why')
    .option('--by <name>', 'who (default the OS user)')
    .action(async (id: string, tier: string, o: SetOptions) => setOverride(id, tier, o));
  cmd
    .command('list')
    .option('--json', 'JSON Lines')
    .action(async (o: { json?: boolean }) => listOverrides(o));
  cmd
    .command('clear')
    .argument('<partnerId>')
    .option('--by <name>', 'who')
    .action(async (id: string, o: { by?: string }) => clearOverrides(id, o));
}
