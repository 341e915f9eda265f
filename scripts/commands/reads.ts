// `tierline scorecard ID [--as-of D] [--json]`, `ledger ID [--json]`, `decisions ID [--json] [--all]`:
// the stored state; an id no event has named exits 1 naming it. `scorecard --as-of D` evaluates the stored facts for that day instead
// of reading the last stored scorecard.
import type { Command } from 'commander';
import { parseDay } from '../../domain/dates.ts';
import type { Scorecard } from '../../domain/evaluation/scorecard.ts';
import { currentScorecard, decisionTrail, ledger, scorecardOn } from '../../services/reads.ts';
import { CliError, refusalsAsCliErrors } from '../lib/errors.ts';
import { openDatabase } from '../lib/services.ts';

type Json = { json?: boolean };

function describeScorecard(s: Scorecard): string {
  const lines = [
    `${s.partnerId} as of ${s.asOf} — program ${s.program.id} ${s.program.version}`,
    s.status === 'none'
      ? '  no track (status none)'
      : `  track ${s.track}: effective ${s.effectiveTier}, qualified ${s.qualifiedTier}, status ${s.status}${s.graceEndsOn ? ` (demotion on ${s.graceEndsOn} unless it requalifies)` : ''}`,
    `  metrics: ${
      Object.entries(s.metrics)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || '—'
    }`,
  ];
  if (s.next)
    lines.push(
      `  next: ${s.next.tier} needs ${s.next.unmet.map((u) => `${u.metric} +${u.shortBy} (${u.actual} of ${u.required})`).join(', ')}`,
    );
  for (const r of s.risks) lines.push(`  risk ${r.kind} on ${r.on}: ${r.detail}`);
  lines.push(`  ledger: commission ${s.ledger.commission}, mdf ${s.ledger.mdf}, rebate ${s.ledger.rebate}`);
  return lines.join('\n');
}

export async function readScorecard(partnerId: string, options: Json & { asOf?: string }): Promise<Scorecard> {
  const db = await openDatabase();
  try {
    let scorecard: Scorecard | undefined;
    if (options.asOf !== undefined) {
      const day = parseDay(options.asOf);
      if (day === undefined)
        throw new CliError(`--as-of: expected a date YYYY-MM-DD, got ${JSON.stringify(options.asOf)}`);
      scorecard = await refusalsAsCliErrors(() => scorecardOn(db, partnerId, day));
    } else {
      scorecard = await refusalsAsCliErrors(() => currentScorecard(db, partnerId));
    }
    if (!scorecard)
      throw new CliError(`no scorecard stored for partner ${partnerId} yet (no recompute has run for it)`);
    console.log(options.json ? JSON.stringify(scorecard) : describeScorecard(scorecard));
    return scorecard;
  } finally {
    await db.destroy();
  }
}

export async function readLedger(partnerId: string, options: Json): Promise<void> {
  const db = await openDatabase();
  try {
    const { entries, totals } = await refusalsAsCliErrors(() => ledger(db, partnerId));
    const byBenefit = Object.fromEntries(totals.map((t) => [t.benefit, t.total]));
    if (options.json) {
      console.log(
        JSON.stringify({
          partnerId,
          totals: byBenefit,
          entries: entries.map((e) => ({
            id: e.id,
            dealId: e.deal_id,
            benefit: e.benefit,
            kind: e.kind,
            amount: e.amount,
            currency: e.currency,
            closedAt: e.closed_at,
            tier: e.tier_id,
            rate: e.rate,
            createdAt: e.created_at,
          })),
        }),
      );
      return;
    }
    console.log(
      `${partnerId} ledger: ${totals.map((t) => `${t.benefit} ${t.total} ${t.currency}`).join(', ') || 'no entries'}`,
    );
    for (const e of entries)
      console.log(
        `  #${e.id} ${e.closed_at} ${e.deal_id} ${e.benefit} ${e.kind} ${e.amount} ${e.currency} (tier ${e.tier_id ?? '—'} × ${e.rate})`,
      );
  } finally {
    await db.destroy();
  }
}

export async function readDecisions(partnerId: string, options: Json & { all?: boolean }): Promise<void> {
  const db = await openDatabase();
  try {
    const rows = await refusalsAsCliErrors(() => decisionTrail(db, partnerId, { all: options.all === true }));
    for (const d of rows) {
      if (options.json) {
        console.log(JSON.stringify(d));
        continue;
      }
      const mark = d.superseded
        ? `  [superseded${d.supersededAt ? ` ${d.supersededAt}` : ''}: no longer in the history]`
        : '';
      console.log(
        `${d.day} ${d.previousTier ?? '—'} → ${d.newTier ?? '—'} (qualified ${d.qualifiedTier ?? '—'}, program ${d.program.version}) metrics ${JSON.stringify(d.metrics)}${d.triggerEventIds.length ? ` after ${d.triggerEventIds.join(', ')}` : ''}${mark}`,
      );
    }
    if (rows.length === 0 && !options.json)
      console.log(`no decisions ${options.all ? 'recorded' : 'in the current history'} for ${partnerId}`);
  } finally {
    await db.destroy();
  }
}

export function registerReads(program: Command): void {
  program
    .command('scorecard')
    .argument('<partnerId>')
    .option('--as-of <date>', 'evaluate the stored facts for this day')
    .option('--json', 'one line of JSON, as `evaluate` prints')
    .description("a partner's scorecard")
    .action(async (id: string, o: Json & { asOf?: string }) => {
      await readScorecard(id, o);
    });
  program
    .command('ledger')
    .argument('<partnerId>')
    .option('--json', 'JSON')
    .description("a partner's incentive ledger: totals and entries")
    .action(async (id: string, o: Json) => readLedger(id, o));
  program
    .command('decisions')
    .argument('<partnerId>')
    .option('--json', 'JSON Lines')
    .option('--all', 'also the decisions a later correction superseded, marked')
    .description("a partner's audit trail of tier decisions")
    .action(async (id: string, o: Json & { all?: boolean }) => readDecisions(id, o));
}
