// `tierline overrides set ID TIER [--from D] --until D --reason TEXT [--by NAME]`, `list`,
// `clear ID`: manual effective tiers, audited, applied by the timeline from the next recompute.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import * as overrides from '../../services/overrides.ts';
import { today } from '../../workers/clock.ts';
import { refusalsAsCliErrors } from '../lib/errors.ts';
import { reportMissingOptionsTogether } from '../lib/required-options.ts';
import { openDatabase } from '../lib/services.ts';
import { wakeRecompute } from '../lib/wake.ts';

interface SetOptions {
  from?: string;
  until: string;
  reason: string;
  by?: string;
}

const wake = wakeRecompute;

export async function setOverride(
  partnerId: string,
  tier: string,
  options: SetOptions,
  out: (line: string) => void = console.log,
): Promise<void> {
  const request = { partnerId, tier, ...options };
  await refusalsAsCliErrors(async () => overrides.checkOverrideRequest(request));
  const db = await openDatabase();
  try {
    const set = await refusalsAsCliErrors(() =>
      overrides.setOverride(db, request, { today, currentUser: () => userInfo().username }),
    );
    const what = `${partnerId} at ${tier} from ${set.from} until ${options.until} (${set.reason}, by ${set.by})`;
    out(set.created ? `override set: ${what}` : `override already exists: #${set.id} ${what}; nothing stored`);
    await wake(db, partnerId, out);
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

export async function clearOverrides(
  partnerId: string,
  options: { by?: string },
  out: (line: string) => void = console.log,
): Promise<void> {
  const by = options.by ?? userInfo().username;
  await refusalsAsCliErrors(async () => overrides.checkClearRequest(partnerId, by));
  const db = await openDatabase();
  try {
    const cleared = await refusalsAsCliErrors(() => overrides.clearOverrides(db, partnerId, by));
    out(
      cleared > 0
        ? `cleared ${cleared} override${cleared === 1 ? '' : 's'} of ${partnerId}`
        : `${partnerId} has no active override`,
    );
    if (cleared > 0) await wake(db, partnerId, out);
  } finally {
    await db.destroy();
  }
}

export function registerOverrides(program: Command): void {
  const cmd = program.command('overrides').description('manual overrides of the effective tier (audited)');
  const set = cmd
    .command('set')
    .argument('<partnerId>')
    .argument('<tier>', "a tier id of the partner's track, exactly as in the program")
    .option('--from <date>', 'first day (default today)')
    .requiredOption('--until <date>', 'last day (inclusive)')
    .requiredOption('--reason <text>', 'why')
    .option('--by <name>', 'who (default the OS user)')
    .action(async (id: string, tier: string, o: SetOptions) => setOverride(id, tier, o));
  reportMissingOptionsTogether(set);
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
