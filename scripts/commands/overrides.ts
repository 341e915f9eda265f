// `tierline overrides set ID TIER [--from D] --until D --reason TEXT [--by NAME]`, `list`,
// `clear ID`: manual effective tiers, audited, applied by the timeline from the next recompute.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import * as overrides from '../../services/overrides.ts';
import { today } from '../../workers/clock.ts';
import { refusalsAsCliErrors } from '../lib/errors.ts';
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
    await overrides.wakePartner(db, services.queues, partnerId);
  } finally {
    await services.close();
  }
}

export async function setOverride(partnerId: string, tier: string, options: SetOptions): Promise<void> {
  const db = await openDatabase();
  try {
    const { from, by } = await refusalsAsCliErrors(() =>
      overrides.setOverride(db, { partnerId, tier, ...options }, { today, currentUser: () => userInfo().username }),
    );
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
    const rows = await overrides.listOverrides(db);
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
    const cleared = await overrides.clearOverrides(db, partnerId, by);
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
