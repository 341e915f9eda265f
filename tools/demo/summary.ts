// The demo's before/after: tier distribution by track, ledger totals, emails by kind and
// status, dead letters. Read from the stored scorecards, ledger, outbox and dead-letter store.
import { resolve } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { Program } from '../../domain/program/schema.ts';
import { colour, count, money, print } from './output.ts';

export interface Snapshot {
  asOf: string;
  /** "track/tier" → partners at that effective tier. */
  tiers: Map<string, number>;
  grace: number;
  partners: number;
  ledger: Map<string, string>;
  ledgerEntries: number;
  /** "kind/status" → rows. */
  emails: Map<string, number>;
  deadLetters: number;
}

export async function snapshot(db: Kysely<DB>, asOf: string): Promise<Snapshot> {
  const tiers = await sql<{ track: string | null; tier: string | null; status: string; n: string }>`
    select scorecard->>'track' as track, scorecard->>'effectiveTier' as tier, scorecard->>'status' as status, count(*)::text as n
      from scorecards group by 1, 2, 3`.execute(db);
  const ledger = await sql<{ benefit: string; total: string; n: string }>`
    select benefit, sum(amount)::text as total, count(*)::text as n from ledger_entries group by 1`.execute(db);
  const emails = await sql<{
    kind: string;
    status: string;
    n: string;
  }>`select kind, status, count(*)::text as n from outbox group by 1, 2`.execute(db);
  const dead = await sql<{ n: string }>`select count(*)::text as n from dead_letters`.execute(db);
  const s: Snapshot = {
    asOf,
    tiers: new Map(),
    grace: 0,
    partners: 0,
    ledger: new Map(),
    ledgerEntries: 0,
    emails: new Map(),
    deadLetters: Number(dead.rows[0]?.n ?? 0),
  };
  for (const r of tiers.rows) {
    const n = Number(r.n);
    s.partners += n;
    const key = `${r.track ?? '-'}/${r.tier ?? 'none'}`;
    s.tiers.set(key, (s.tiers.get(key) ?? 0) + n);
    if (r.status === 'grace') s.grace += n;
  }
  for (const r of ledger.rows) {
    s.ledger.set(r.benefit, r.total);
    s.ledgerEntries += Number(r.n);
  }
  for (const r of emails.rows) s.emails.set(`${r.kind}/${r.status}`, Number(r.n));
  return s;
}

export interface SummaryContext {
  program: Program;
  before: Snapshot | undefined;
  after: Snapshot;
  lines: string[];
  outboxDir: string;
  smtp: boolean;
}

const pad = (text: string, width: number): string => text.padStart(width);

/** Adds thousands separators to an integer count already formatted, or says "-". */
const cell = (n: number | undefined): string => (n === undefined ? '-' : count(n));

export function printSummary(ctx: SummaryContext): void {
  const { program, before, after } = ctx;
  const h = (text: string): void => print(colour.bold(text));
  print();
  h('━━ Tierline demo: summary ━━');
  for (const line of ctx.lines) print(`  ${line}`);
  print();
  h(`  Tier distribution (effective tier)          before ${pad('after', 8)}`);
  for (const track of program.tracks) {
    for (const tier of track.tiers) {
      const key = `${track.id}/${tier.id}`;
      const b = before?.tiers.get(key) ?? (before ? 0 : undefined);
      const a = after.tiers.get(key) ?? 0;
      const delta = b === undefined || a === b ? '' : colour.dim(` (${a > b ? '+' : ''}${a - b})`);
      print(`    ${`${track.id} · ${tier.name}`.padEnd(38)} ${pad(cell(b), 8)} ${pad(cell(a), 8)}${delta}`);
    }
  }
  const none = after.tiers.get('-/none') ?? 0;
  if (none > 0)
    print(
      `    ${'no track'.padEnd(38)} ${pad(cell(before?.tiers.get('-/none') ?? (before ? 0 : undefined)), 8)} ${pad(cell(none), 8)}`,
    );
  print(
    `    ${'of which in grace (demotion pending)'.padEnd(38)} ${pad(cell(before?.grace), 8)} ${pad(cell(after.grace), 8)}`,
  );
  print(`    ${'partners'.padEnd(38)} ${pad(cell(before?.partners), 8)} ${pad(cell(after.partners), 8)}`);
  print();
  h(`  Ledger totals (${program.currency}, accrued at the effective tier)      before            after`);
  for (const benefit of ['commission', 'mdf', 'rebate']) {
    const b = before ? money(before.ledger.get(benefit) ?? '0.00', program.currency) : '-';
    const a = money(after.ledger.get(benefit) ?? '0.00', program.currency);
    print(`    ${benefit.padEnd(22)} ${pad(b, 24)} ${pad(a, 16)}`);
  }
  print(`    ${'entries'.padEnd(22)} ${pad(cell(before?.ledgerEntries), 24)} ${pad(cell(after.ledgerEntries), 16)}`);
  print();
  h(`  Emails by kind (whole run)          sent  skipped  pending   failed  withdrawn`);
  const kinds = ['tier.promoted', 'tier.demoted', 'tier.at-risk', 'tier.near-promotion'];
  for (const kind of kinds) {
    const get = (status: string): number => after.emails.get(`${kind}/${status}`) ?? 0;
    print(
      `    ${kind.padEnd(28)} ${pad(cell(get('sent')), 8)} ${pad(cell(get('skipped')), 8)} ` +
        `${pad(cell(get('pending') + get('claimed')), 8)} ${pad(cell(get('failed')), 8)} ${pad(cell(get('withdrawn')), 10)}`,
    );
  }
  print(
    colour.dim(
      '    skipped = dated more than notifyChangesWithinDays before today (history being loaded): recorded, not sent',
    ),
  );
  print(
    colour.dim(
      '    withdrawn = undone before it settled (a correction, late history): re-checked before sending, never sent',
    ),
  );
  print();
  const deadDelta = before ? ` (${after.deadLetters - before.deadLetters} during the live stream)` : '';
  print(
    `  ${colour.bold('Dead letters')}    ${count(after.deadLetters)}${deadDelta}: ` +
      `\`npx tierline dlq list\` (DATABASE_URL as above) shows them with their reasons`,
  );
  print(
    `  ${colour.bold('Emails')}          ` +
      (ctx.smtp ? 'sent through SMTP_URL' : `.eml files in ${resolve(ctx.outboxDir)} (MAIL_OUTBOX_DIR)`),
  );
}
