// The live stream: what source systems would send while the demo runs, as canonical events
// (docs/events.md) dated on the simulated day. Mostly ordinary deals closing and invoices, plus
// happenings chosen from the stored scorecards so something visible follows: deals just big
// enough to reach the next tier, the certifications a partner is missing, revocations and
// departures that take a partner below its tier (grace), and a few invalid events that end
// up in the dead-letter store. Seeded, so the mix is the same for a seed.
import { Faker, en } from '@faker-js/faker';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { addMonths, dayOrThrow, formatDay } from '../../domain/dates.ts';
import type { Criterion, Program } from '../../domain/program/schema.ts';
import { centsText, money, textCents } from './output.ts';

export type Source = 'crm' | 'lms' | 'erp';

export type LiveKind =
  | 'deal-won'
  | 'deal-lost'
  | 'deal-registered'
  | 'promotion-deal'
  | 'promotion-invoice'
  | 'certified'
  | 'revoked'
  | 'departed'
  | 'invoice'
  | 'invalid';

export interface LiveEvent {
  source: Source;
  id: string;
  partnerId: string;
  kind: LiveKind;
  /** The event as sent (JSON text). */
  text: string;
  /** For people: what happened ("deal D-L7 won, $48,000.00"). */
  describe: string;
}

interface StoredScorecard {
  track: string | null;
  effectiveTier: string | null;
  status: string;
  metrics: Record<string, string> | null;
  next: { tier: string; unmet: Array<{ metric: string; actual: string; required: string; shortBy: string }> } | null;
}

/** What a partner lacks for its next tier, as events that would supply it. */
interface Plan {
  partnerId: string;
  tier: string;
  /** Deal revenue short (cents), spread over `deals` new deals. */
  dealCents: number;
  deals: number;
  /** Recurring invoice revenue short (cents). */
  invoiceCents: number;
  certs: Array<{ metric: string; count: number }>;
  short: string;
}

interface FragileCandidate {
  partnerId: string;
  tier: string;
  metric: string;
}

/** Draws weighted by the table; the rest of the mix is ordinary traffic. */
const MIX: Array<[LiveKind | 'promotion' | 'fragile', number]> = [
  ['deal-won', 30],
  ['deal-registered', 8],
  ['promotion', 22],
  ['certified', 5],
  ['fragile', 15],
  ['invoice', 10],
  ['invalid', 5],
  ['deal-lost', 5],
];

const INVALID = [
  { why: 'an amount written "5,000.00"', make: (d: Record<string, unknown>) => ({ ...d, amount: '5,000.00' }) },
  { why: 'closed_won without closedAt', make: (d: Record<string, unknown>) => ({ ...d, closedAt: undefined }) },
  { why: 'EUR without fxRate', make: (d: Record<string, unknown>) => ({ ...d, currency: 'EUR' }) },
];

export class LiveEvents {
  private readonly faker: Faker;
  private seq = 0;
  private partners: Array<{ id: string; size: number }> = [];
  private plans: Plan[] = [];
  private fragile: FragileCandidate[] = [];
  private open: Array<{ partnerId: string; dealId: string; cents: number; registeredAt: string; customerId: string }> =
    [];
  private invalidTurn = 0;
  readonly sent = new Map<LiveKind, number>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly program: Program,
    private readonly seed: number,
  ) {
    this.faker = new Faker({ locale: [en], seed: seed + 1 });
  }

  get total(): number {
    let n = 0;
    for (const v of this.sent.values()) n += v;
    return n;
  }

  /** Re-reads partners and scorecards to choose the next happenings from. */
  async refresh(): Promise<void> {
    const rows = await this.db
      .selectFrom('scorecards')
      .select(['partner_id', 'scorecard'])
      .orderBy('partner_id')
      .execute();
    this.partners = [];
    this.plans = [];
    this.fragile = [];
    for (const row of rows) {
      const card = row.scorecard as unknown as StoredScorecard;
      if (!card || card.status === 'none' || !card.track) continue;
      const revenue12m = textCents(card.metrics?.revenue12m ?? '0');
      this.partners.push({ id: row.partner_id, size: revenue12m });
      this.classify(row.partner_id, card);
    }
  }

  private metric(name: string) {
    return this.program.metrics[name];
  }

  private certIds(name: string): string[] {
    const ids = this.metric(name)?.where?.certificationId;
    const list = (Array.isArray(ids) ? ids : ids === undefined ? [] : [ids]).filter(
      (v): v is string => typeof v === 'string',
    );
    return list.length > 0 ? list : ['sales-expert'];
  }

  /** A plan for the unmet criteria of the next tier, when a few events can meet them all. */
  private plan(partnerId: string, card: StoredScorecard): Plan | undefined {
    const next = card.next;
    if (!next || next.unmet.length === 0) return undefined;
    const plan: Plan = { partnerId, tier: next.tier, dealCents: 0, deals: 0, invoiceCents: 0, certs: [], short: '' };
    const short: string[] = [];
    for (const u of next.unmet) {
      const m = this.metric(u.metric);
      const n = Math.ceil(Number(u.shortBy));
      if (!m) return undefined;
      if (m.from === 'deals' && m.aggregate === 'sum') {
        plan.dealCents = Math.max(plan.dealCents, textCents(u.shortBy));
        plan.deals = Math.max(plan.deals, 1);
        short.push(`${this.usd(textCents(u.shortBy))} ${u.metric}`);
      } else if (
        m.from === 'deals' &&
        (m.aggregate === 'count' || (m.aggregate === 'countDistinct' && m.field === 'customerId'))
      ) {
        plan.deals = Math.max(plan.deals, n);
        short.push(`${n} ${u.metric}`);
      } else if (m.from === 'invoices' && m.aggregate === 'sum' && m.where?.recurring !== false) {
        plan.invoiceCents = Math.max(plan.invoiceCents, textCents(u.shortBy));
        short.push(`${this.usd(textCents(u.shortBy))} ${u.metric}`);
      } else if (m.from === 'certifications') {
        plan.certs.push({ metric: u.metric, count: n });
        short.push(`${n} ${u.metric}`);
      } else {
        return undefined;
      }
    }
    const events = plan.deals + (plan.invoiceCents > 0 ? 1 : 0) + plan.certs.reduce((k, c) => k + c.count, 0);
    if (events === 0 || events > 5) return undefined;
    plan.short = short.join(', ');
    return plan;
  }

  private classify(partnerId: string, card: StoredScorecard): void {
    const from = (m: string) => this.metric(m)?.from;
    const plan = this.plan(partnerId, card);
    if (plan) this.plans.push(plan);
    // At its tier with a certification count exactly at the requirement: losing one person
    // takes it below (grace, then demotion).
    if (card.status !== 'qualified' || !card.effectiveTier) return;
    const track = this.program.tracks.find((t) => t.id === card.track);
    const tier = track?.tiers.find((t) => t.id === card.effectiveTier);
    if (!tier?.criteria || track?.tiers[0]?.id === tier.id) return;
    const actual = (m: string) => Number(card.metrics?.[m] ?? '0');
    const walk = (c: Criterion): void => {
      if ('allOf' in c) c.allOf.forEach(walk);
      else if ('anyOf' in c) c.anyOf.forEach(walk);
      else if ('score' in c) {
        for (const p of c.score.parts)
          if (from(p.metric) === 'certifications' && actual(p.metric) > 0 && actual(p.metric) <= Number(p.target))
            this.fragile.push({ partnerId, tier: tier.id, metric: p.metric });
      } else if ('atLeast' in c && from(c.metric) === 'certifications' && actual(c.metric) === Number(c.atLeast)) {
        this.fragile.push({ partnerId, tier: tier.id, metric: c.metric });
      }
    };
    walk(tier.criteria);
  }

  private take<T>(list: T[]): T | undefined {
    if (list.length === 0) return undefined;
    const i = this.faker.number.int({ min: 0, max: list.length - 1 });
    return list.splice(i, 1)[0];
  }

  private envelope(source: Source, type: string, partnerId: string, today: string, data: Record<string, unknown>) {
    const id = `${source}-live-${this.seed}-${(this.seq++).toString(36)}`;
    return { id, source, type, occurredAt: `${today}T${new Date().toISOString().slice(11, 19)}Z`, partnerId, data };
  }

  private event(kind: LiveKind, describe: string, envelope: ReturnType<LiveEvents['envelope']>): LiveEvent {
    this.sent.set(kind, (this.sent.get(kind) ?? 0) + 1);
    return {
      source: envelope.source,
      id: envelope.id,
      partnerId: envelope.partnerId,
      kind,
      text: JSON.stringify(envelope),
      describe,
    };
  }

  private usd(cents: number): string {
    return money(centsText(cents), this.program.currency);
  }

  private randomPartner(): { id: string; size: number } | undefined {
    if (this.partners.length === 0) return undefined;
    return this.partners[this.faker.number.int({ min: 0, max: this.partners.length - 1 })];
  }

  /** A typical deal for a partner of this size (trailing revenue in cents). */
  private dealCents(size: number): number {
    const typical = size > 0 ? size / 10 : 20_000_00;
    const cents = Math.round((typical * this.faker.number.float({ min: 0.3, max: 1.6 })) / 100) * 100;
    return Math.min(Math.max(cents, 2_000_00), 900_000_00);
  }

  private dealData(
    dealId: string,
    cents: number,
    registeredAt: string,
    customerId: string,
    stage: string,
    version: number,
    closedAt?: string,
  ) {
    return {
      dealId,
      stage,
      amount: centsText(cents),
      currency: this.program.currency,
      customerId,
      registeredAt,
      ...(closedAt ? { closedAt } : {}),
      version,
    };
  }

  private daysBefore(today: string, min: number, max: number): string {
    return formatDay(dayOrThrow(today) - this.faker.number.int({ min, max }));
  }

  private newDeal(today: string, won: boolean): LiveEvent[] {
    const reuse = this.open.length > 0 && this.faker.number.float() < 0.6 ? this.take(this.open) : undefined;
    const partner = reuse ? { id: reuse.partnerId, size: 0 } : this.randomPartner();
    if (!partner) return [];
    const dealId = reuse?.dealId ?? `D-L${this.seed}-${(this.seq++).toString(36)}`;
    const cents = reuse?.cents ?? this.dealCents(partner.size);
    const registeredAt = reuse?.registeredAt ?? this.daysBefore(today, 5, 90);
    const customerId = reuse?.customerId ?? `C-${this.faker.number.int({ min: 1, max: 600 })}`;
    const stage = won ? 'closed_won' : 'closed_lost';
    const e = this.envelope(
      'crm',
      'deal.upserted',
      partner.id,
      today,
      this.dealData(dealId, cents, registeredAt, customerId, stage, reuse ? 2 : 1, today),
    );
    return [
      this.event(won ? 'deal-won' : 'deal-lost', `deal ${dealId} ${won ? 'won' : 'lost'}, ${this.usd(cents)}`, e),
    ];
  }

  private registered(today: string): LiveEvent[] {
    const partner = this.randomPartner();
    if (!partner) return [];
    const dealId = `D-L${this.seed}-${(this.seq++).toString(36)}`;
    const cents = this.dealCents(partner.size);
    const customerId = `C-${this.faker.number.int({ min: 1, max: 600 })}`;
    this.open.push({ partnerId: partner.id, dealId, cents, registeredAt: today, customerId });
    const e = this.envelope(
      'crm',
      'deal.upserted',
      partner.id,
      today,
      this.dealData(dealId, cents, today, customerId, 'open', 1),
    );
    return [this.event('deal-registered', `deal ${dealId} registered, ${this.usd(cents)}`, e)];
  }

  /** Exactly what one partner lacks for its next tier (a little more, so it holds with room). */
  private promotion(today: string): LiveEvent[] {
    const plan = this.take(this.plans);
    if (!plan) return this.newDeal(today, true);
    const toward = `toward ${plan.tier}, short ${plan.short}`;
    const margin = (cents: number): number =>
      Math.round((cents * this.faker.number.float({ min: 1.02, max: 1.3 })) / 100) * 100 + 1_000_00;
    const out: LiveEvent[] = [];
    for (let i = 0; i < plan.deals; i++) {
      const dealId = `D-L${this.seed}-${(this.seq++).toString(36)}`;
      const cents = plan.dealCents > 0 ? margin(Math.ceil(plan.dealCents / plan.deals)) : this.dealCents(0);
      // A customer id no history deal uses: a new customer.
      const customerId = `C-L${(this.seq++).toString(36)}`;
      const e = this.envelope(
        'crm',
        'deal.upserted',
        plan.partnerId,
        today,
        this.dealData(dealId, cents, this.daysBefore(today, 10, 60), customerId, 'closed_won', 1, today),
      );
      out.push(this.event('promotion-deal', `deal ${dealId} won, ${this.usd(cents)} (${toward})`, e));
    }
    if (plan.invoiceCents > 0) {
      const invoiceId = `INV-L${this.seed}-${(this.seq++).toString(36)}`;
      const cents = margin(plan.invoiceCents);
      const e = this.envelope('erp', 'invoice.booked', plan.partnerId, today, {
        invoiceId,
        amount: centsText(cents),
        currency: this.program.currency,
        bookedAt: today,
        recurring: true,
      });
      out.push(this.event('promotion-invoice', `recurring invoice ${invoiceId}, ${this.usd(cents)} (${toward})`, e));
    }
    for (const need of plan.certs)
      out.push(...this.certifications(plan.partnerId, need.metric, need.count, today, toward));
    return out;
  }

  private certifications(partnerId: string, metric: string, n: number, today: string, why: string): LiveEvent[] {
    const ids = this.certIds(metric);
    const certificationId = ids[ids.length - 1] ?? 'sales-expert';
    const expiresAt = formatDay(addMonths(dayOrThrow(today), 24));
    const out: LiveEvent[] = [];
    for (let i = 0; i < n; i++) {
      const personId = `${partnerId}-L${(this.seq++).toString(36)}`;
      const e = this.envelope('lms', 'certification.earned', partnerId, today, {
        personId,
        certificationId,
        earnedAt: today,
        expiresAt,
      });
      out.push(this.event('certified', `${personId} certified ${certificationId}${why ? ` (${why})` : ''}`, e));
    }
    return out;
  }

  /** Someone at a random partner earns a certification. */
  private certified(today: string): LiveEvent[] {
    const partner = this.randomPartner();
    const metrics = Object.keys(this.program.metrics).filter((m) => this.metric(m)?.from === 'certifications');
    if (!partner || metrics.length === 0) return this.newDeal(today, true);
    return this.certifications(partner.id, this.faker.helpers.arrayElement(metrics), 1, today, '');
  }

  private async revocation(today: string): Promise<LiveEvent[]> {
    const c = this.take(this.fragile);
    if (!c) return this.newDeal(today, true);
    const ids = this.certIds(c.metric);
    const rows = await sql<{ person_id: string; certification_id: string }>`
      select ce.person_id, ce.certification_id
        from certifications_earned ce
       where ce.partner_id = ${c.partnerId}
         and ce.certification_id = any(${ids}::text[])
         and ce.earned_at <= ${today}::date
         and (ce.expires_at is null or ce.expires_at > ${today}::date)
         and not exists (select 1 from certification_revocations r
                          where r.partner_id = ce.partner_id and r.person_id = ce.person_id and r.certification_id = ce.certification_id
                            and r.revoked_at between ce.earned_at and ${today}::date)
         and not exists (select 1 from person_departures d
                          where d.partner_id = ce.partner_id and d.person_id = ce.person_id and d.departed_at <= ${today}::date)
       order by ce.person_id, ce.certification_id`.execute(this.db);
    const byPerson = new Map<string, string[]>();
    for (const r of rows.rows) byPerson.set(r.person_id, [...(byPerson.get(r.person_id) ?? []), r.certification_id]);
    const people = [...byPerson.entries()];
    if (people.length === 0) return this.newDeal(today, true);
    // A person holding one matching certification: revoking it removes them from the count.
    // Otherwise the person leaves the partner, which takes all their certifications.
    const single = people.filter(([, certs]) => new Set(certs).size === 1);
    if (single.length > 0 && this.faker.number.float() < 0.75) {
      const [personId, [certificationId = ''] = []] = this.faker.helpers.arrayElement(single);
      const e = this.envelope('lms', 'certification.revoked', c.partnerId, today, {
        personId,
        certificationId,
        revokedAt: today,
      });
      return [this.event('revoked', `${certificationId} of ${personId} revoked`, e)];
    }
    const [personId = '', certs = []] = this.faker.helpers.arrayElement(people);
    const e = this.envelope('lms', 'person.departed', c.partnerId, today, { personId, departedAt: today });
    return [
      this.event(
        'departed',
        `${personId} left the partner (${new Set(certs).size} certification${new Set(certs).size === 1 ? '' : 's'})`,
        e,
      ),
    ];
  }

  private invoice(today: string): LiveEvent[] {
    const partner = this.randomPartner();
    if (!partner) return [];
    const invoiceId = `INV-L${this.seed}-${(this.seq++).toString(36)}`;
    const cents = Math.round(this.faker.number.float({ min: 500, max: 15_000 })) * 100;
    const e = this.envelope('erp', 'invoice.booked', partner.id, today, {
      invoiceId,
      amount: centsText(cents),
      currency: this.program.currency,
      bookedAt: today,
      recurring: this.faker.number.float() < 0.7,
    });
    return [this.event('invoice', `invoice ${invoiceId}, ${this.usd(cents)}`, e)];
  }

  private invalid(today: string): LiveEvent[] {
    const partner = this.randomPartner();
    if (!partner) return [];
    const turn = this.invalidTurn++ % (INVALID.length + 1);
    const dealId = `D-L${this.seed}-${(this.seq++).toString(36)}`;
    const data = this.dealData(
      dealId,
      this.dealCents(partner.size),
      this.daysBefore(today, 5, 60),
      `C-${this.faker.number.int({ min: 1, max: 600 })}`,
      'closed_won',
      1,
      today,
    );
    const bad = INVALID[turn];
    if (bad)
      return [
        this.event(
          'invalid',
          `invalid: ${bad.why}`,
          this.envelope('crm', 'deal.upserted', partner.id, today, bad.make(data)),
        ),
      ];
    return [
      this.event(
        'invalid',
        'invalid: unknown type deal.deleted',
        this.envelope('crm', 'deal.deleted', partner.id, today, { dealId }),
      ),
    ];
  }

  /** The next happening on `today`: one event, or a few for the same partner. */
  async next(today: string): Promise<LiveEvent[]> {
    const total = MIX.reduce((n, [, w]) => n + w, 0);
    let roll = this.faker.number.int({ min: 0, max: total - 1 });
    let kind: (typeof MIX)[number][0] = 'deal-won';
    for (const [k, w] of MIX) {
      if (roll < w) {
        kind = k;
        break;
      }
      roll -= w;
    }
    switch (kind) {
      case 'deal-won':
      case 'deal-lost':
        return this.newDeal(today, kind === 'deal-won');
      case 'deal-registered':
        return this.registered(today);
      case 'promotion':
      case 'promotion-deal':
      case 'promotion-invoice':
        return this.promotion(today);
      case 'certified':
        return this.certified(today);
      case 'fragile':
      case 'revoked':
      case 'departed':
        return this.revocation(today);
      case 'invoice':
        return this.invoice(today);
      case 'invalid':
        return this.invalid(today);
    }
  }
}
