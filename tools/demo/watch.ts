// Shows what the pipeline does while the demo streams: polls `decisions`, `outbox`,
// `dead_letters` and `audit_log` by id (each table is append-only or moves forward by id) and
// prints one line per tier change, grace entry, email written and dead letter.
import { relative } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { Program } from '../../domain/program/schema.ts';
import { colour, count, say } from './output.ts';

export interface Watermarks {
  decision: string;
  outbox: string;
  deadLetter: string;
  audit: string;
}

export async function watermarks(db: Kysely<DB>): Promise<Watermarks> {
  const { rows } = await sql<{
    decision: string | null;
    outbox: string | null;
    dead: string | null;
    audit: string | null;
  }>`
    select (select max(id) from decisions)::text as decision, (select max(id) from outbox)::text as outbox,
           (select max(id) from dead_letters)::text as dead, (select max(id) from audit_log)::text as audit`.execute(
    db,
  );
  const r = rows[0];
  return { decision: r?.decision ?? '0', outbox: r?.outbox ?? '0', deadLetter: r?.dead ?? '0', audit: r?.audit ?? '0' };
}

interface Unmet {
  metric: string;
  actual: string;
  required: string;
}

interface OutboxRow {
  id: string;
  kind: string;
  partner_id: string;
  status: string;
  /** The business day the notification is about (for a grace entry: the first day below the tier). */
  day: string | null;
  reason: string | null;
  grace_ends_on: string | null;
  effective: string | null;
  qualified: string | null;
  unmet: Unmet[] | null;
  detail: string | null;
  paths: string[] | null;
  skip_reason: string | null;
}

export interface WatchCounts {
  promoted: number;
  demoted: number;
  grace: number;
  emails: number;
  deadLetters: number;
}

export class Watcher {
  private readonly marks: Watermarks;
  private readonly open = new Set<string>();
  private readonly names = new Map<string, string>();
  private readonly tierNames = new Map<string, string>();
  private readonly rank = new Map<string, number>();
  readonly counts: WatchCounts = { promoted: 0, demoted: 0, grace: 0, emails: 0, deadLetters: 0 };

  constructor(
    private readonly db: Kysely<DB>,
    program: Program,
    start: Watermarks,
    /** What each live event ("source:id") was, to say why a tier changed. */
    private readonly causes: ReadonlyMap<string, string>,
    private readonly day: () => string,
  ) {
    this.marks = { ...start };
    for (const track of program.tracks) {
      track.tiers.forEach((tier, i) => {
        this.tierNames.set(tier.id, tier.name);
        this.rank.set(tier.id, i);
      });
    }
  }

  private tier(id: string | null): string {
    return id === null ? 'none' : (this.tierNames.get(id) ?? id);
  }

  private async name(partnerId: string): Promise<string> {
    const known = this.names.get(partnerId);
    if (known !== undefined) return known;
    const row = await this.db
      .selectFrom('partners')
      .select('name')
      .where('partner_id', '=', partnerId)
      .executeTakeFirst();
    const name = row?.name ?? '';
    this.names.set(partnerId, name);
    return name;
  }

  private async who(partnerId: string): Promise<string> {
    const name = await this.name(partnerId);
    return `${colour.bold(partnerId)} ${(name.length > 26 ? `${name.slice(0, 25)}…` : name).padEnd(26)}`;
  }

  private stamp(): string {
    return colour.dim(`[${this.day()}]`);
  }

  /** One round: everything new since the last one. */
  async poll(): Promise<void> {
    await this.decisions();
    await this.outbox();
    await this.deadLetters();
    await this.nightlyRuns();
  }

  private async decisions(): Promise<void> {
    const rows = await this.db
      .selectFrom('decisions')
      .select(['id', 'partner_id', 'day', 'previous_tier', 'new_tier', 'qualified_tier', 'trigger_event_ids'])
      .where(sql<boolean>`id > ${this.marks.decision}::bigint`)
      .orderBy('id')
      .limit(500)
      .execute();
    for (const d of rows) {
      this.marks.decision = d.id;
      const before = d.previous_tier === null ? -1 : (this.rank.get(d.previous_tier) ?? -1);
      const after = d.new_tier === null ? -1 : (this.rank.get(d.new_tier) ?? -1);
      const up = after > before;
      if (up) this.counts.promoted++;
      else this.counts.demoted++;
      const found = d.trigger_event_ids.map((id) => this.causes.get(id)).filter((c): c is string => c !== undefined);
      const more = found.length > 1 ? ` and ${found.length - 1} more event${found.length === 2 ? '' : 's'}` : '';
      const why =
        found.length > 0
          ? `after ${found[0]}${more}`
          : d.trigger_event_ids.length === 0
            ? `nightly run, ${d.day}`
            : `on ${d.day}`;
      const label = up ? colour.green('▲ promoted ') : colour.red('▼ demoted  ');
      say(
        `${this.stamp()} ${label} ${await this.who(d.partner_id)} ${this.tier(d.previous_tier)} ` +
          `→ ${colour.bold(this.tier(d.new_tier))}  ${colour.dim(why)}`,
      );
    }
  }

  private async outbox(): Promise<void> {
    const fresh = await this.outboxRows(sql`o.id > ${this.marks.outbox}::bigint`);
    for (const row of fresh) {
      this.marks.outbox = row.id;
      if (row.kind === 'tier.at-risk' && row.reason === 'grace') {
        this.counts.grace++;
        const short = (row.unmet ?? []).map((u) => `${u.metric} ${u.actual}/${u.required}`).join(', ');
        const since = row.day && row.day < this.day() ? ` since ${row.day}` : '';
        say(
          `${this.stamp()} ${colour.yellow('◐ grace    ')} ${await this.who(row.partner_id)} ` +
            `below ${this.tier(row.effective)}${since} (qualifies for ${this.tier(row.qualified)}${short ? `; ${short}` : ''}), ` +
            `demoted on ${row.grace_ends_on ?? '?'} unless it recovers`,
        );
      }
      if (row.status === 'pending' || row.status === 'claimed') this.open.add(row.id);
      else await this.finished(row);
    }
    if (this.open.size === 0) return;
    const done = await this.outboxRows(
      sql`o.id = any(${[...this.open]}::bigint[]) and o.status not in ('pending', 'claimed')`,
    );
    for (const row of done) {
      this.open.delete(row.id);
      await this.finished(row);
    }
  }

  private async finished(row: OutboxRow): Promise<void> {
    if (row.status !== 'sent') return;
    this.counts.emails++;
    const about = row.kind === 'tier.at-risk' ? `at risk (${row.reason ?? ''})` : row.kind.replace('tier.', '');
    const where = (row.paths ?? []).map((p) => relative(process.cwd(), p) || p).join(', ') || 'via SMTP';
    say(
      `${this.stamp()} ${colour.cyan('✉ email    ')} ${await this.who(row.partner_id)} ${about.padEnd(22)} ${colour.dim(where)}`,
    );
  }

  private async outboxRows(where: ReturnType<typeof sql>): Promise<OutboxRow[]> {
    // deliveries and skip_reason come from the notifier's migration (not in db/types.ts).
    const { rows } = await sql<OutboxRow>`
      select o.id::text as id, o.kind, o.partner_id, o.status,
             o.payload->>'day' as day, o.payload->>'reason' as reason, o.payload->>'graceEndsOn' as grace_ends_on,
             o.payload->'scorecard'->>'effectiveTier' as effective, o.payload->'scorecard'->>'qualifiedTier' as qualified,
             o.payload->'scorecard'->'next'->'unmet' as unmet, o.payload->>'detail' as detail,
             (select array_agg(d.value->>'path') from jsonb_each(o.deliveries) d where d.value ? 'path') as paths,
             o.skip_reason
        from outbox o
       where ${where}
       order by o.id
       limit 500`.execute(this.db);
    return rows;
  }

  private async deadLetters(): Promise<void> {
    const rows = await this.db
      .selectFrom('dead_letters')
      .select(['id', 'source', 'event_id', 'reason'])
      .where(sql<boolean>`id > ${this.marks.deadLetter}::bigint`)
      .orderBy('id')
      .limit(500)
      .execute();
    for (const r of rows) {
      this.marks.deadLetter = r.id;
      this.counts.deadLetters++;
      const reason = (r.reason as { message?: string } | null)?.message ?? '';
      say(
        `${this.stamp()} ${colour.magenta('✗ dead letter')} ${r.source ?? '?'} ${r.event_id ?? '?'}: ` +
          (reason.length > 110 ? `${reason.slice(0, 109)}…` : reason),
      );
    }
  }

  private async nightlyRuns(): Promise<void> {
    const rows = await this.db
      .selectFrom('audit_log')
      .select(['id', 'action', 'details'])
      .where(sql<boolean>`id > ${this.marks.audit}::bigint`)
      .orderBy('id')
      .execute();
    for (const r of rows) {
      this.marks.audit = r.id;
      if (r.action !== 'nightly-run') continue;
      const d = r.details as {
        asOf?: string;
        partners?: number;
        seconds?: number;
        changes?: { promoted?: number; demoted?: number };
        notifications?: number;
      };
      say(
        `${colour.dim(`[${d.asOf ?? '?'}]`)} ${colour.bold('☾ nightly run done')}: ${count(d.partners ?? 0)} ` +
          `partners in ${(d.seconds ?? 0).toFixed(1)} s, ${d.changes?.promoted ?? 0} ` +
          `promoted, ${d.changes?.demoted ?? 0} demoted, ${d.notifications ?? 0} notifications`,
      );
    }
  }
}
