// A seeded, believable partner history as canonical events (docs/events.md): a long tail of partner
// sizes, deals registered then closed (several versions each), staff certifications with
// expiry dates, revocations and departures, monthly recurring invoices with credits.
// Deterministic for a seed, so tests, benchmarks and the demo can share it.
import { Faker, en } from '@faker-js/faker';
import { addMonths, dayOrThrow, formatDay, type Day } from '../../domain/dates.ts';

export interface HistoryOptions {
  partners: number;
  seed: number;
  /** Last business day of the history. */
  until: string;
  /** Length of the history in months. */
  months: number;
  /** Average events per partner (sizes are long-tailed around it). */
  eventsPerPartner: number;
}

export interface GeneratedEvent {
  id: string;
  source: 'crm' | 'lms' | 'erp';
  type: string;
  occurredAt: string;
  partnerId: string;
  data: Record<string, unknown>;
}

const TYPES = ['reseller', 'reseller', 'reseller', 'msp', 'referral', 'referral'];
const SALES_CERTS = ['sales-associate', 'sales-expert'];
const TECH_CERTS = ['tech-associate', 'tech-expert'];

function occurred(day: Day, faker: Faker): string {
  const hour = String(faker.number.int({ min: 8, max: 18 })).padStart(2, '0');
  const minute = String(faker.number.int({ min: 0, max: 59 })).padStart(2, '0');
  return `${formatDay(day)}T${hour}:${minute}:00Z`;
}

function amountText(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export function* generateHistory(options: HistoryOptions): Generator<GeneratedEvent> {
  const faker = new Faker({ locale: [en], seed: options.seed });
  const end = dayOrThrow(options.until);
  const begin = addMonths(end, -options.months);
  const span = end - begin;
  const dayIn = (from = begin, to = end): Day => faker.number.int({ min: Math.min(from, to), max: to });
  let seq = 0;
  const id = (prefix: string): string => `${prefix}-${options.seed}-${(seq++).toString(36)}`;

  for (let p = 0; p < options.partners; p++) {
    const partnerId = `P-${String(p + 1).padStart(5, '0')}`;
    const partnerType = faker.helpers.arrayElement(TYPES);
    const company = faker.company.name();
    // Pareto-like size: most partners are small, a few are very large.
    const size = Math.min(20, 0.3 / Math.pow(faker.number.float({ min: 0.0005, max: 1 }), 0.6));
    // 0.72 is the mean of `size`, so budgets add up to about eventsPerPartner × partners.
    const budget = Math.max(4, Math.round((options.eventsPerPartner * size) / 0.72));
    yield {
      id: id('crm'),
      source: 'crm',
      type: 'partner.upserted',
      occurredAt: occurred(begin, faker),
      partnerId,
      data: {
        name: company,
        partnerType,
        region: faker.helpers.arrayElement(['NA', 'EMEA', 'APAC', 'LATAM']),
        contacts: [
          {
            email: faker.internet.email({ provider: 'example.com' }).toLowerCase(),
            name: faker.person.fullName(),
            role: 'primary',
          },
          {
            email: faker.internet.email({ provider: 'example.com' }).toLowerCase(),
            name: faker.person.fullName(),
            role: 'finance',
          },
        ],
        status: 'active',
        version: 1,
      },
    };
    const staff = Array.from({ length: Math.max(1, Math.round(size * 4)) }, (_, i) => `${partnerId}-E${i + 1}`);
    let left = budget - 1;
    while (left > 0) {
      const roll = faker.number.float();
      if (roll < 0.55) left -= yield* deal(partnerId, size);
      else if (roll < 0.8) left -= yield* certification(partnerId, faker.helpers.arrayElement(staff));
      else left -= yield* invoice(partnerId, size);
    }
  }

  function* deal(partnerId: string, size: number): Generator<GeneratedEvent, number> {
    const dealId = `D-${(seq++).toString(36)}`;
    const registeredAt = dayIn();
    const closedAt = Math.min(end, registeredAt + faker.number.int({ min: 5, max: 120 }));
    const cents = Math.round(faker.number.float({ min: 2_000, max: 60_000 }) * size) * 100;
    const foreign = faker.number.float() < 0.1;
    const money = foreign
      ? { amount: amountText(cents), currency: 'EUR', fxRate: faker.helpers.arrayElement(['1.0842', '1.09375', '1.1']) }
      : { amount: amountText(cents), currency: 'USD' };
    const customerId = `C-${faker.number.int({ min: 1, max: 400 })}`;
    const base = { dealId, ...money, customerId, registeredAt: formatDay(registeredAt) };
    yield {
      id: id('crm'),
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: occurred(registeredAt, faker),
      partnerId,
      data: { ...base, stage: 'open', version: 1 },
    };
    const stage = faker.number.float() < 0.7 ? 'closed_won' : 'closed_lost';
    if (closedAt > end) return 1;
    yield {
      id: id('crm'),
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: occurred(closedAt, faker),
      partnerId,
      data: { ...base, stage, closedAt: formatDay(closedAt), version: 2 },
    };
    return 2;
  }

  function* certification(partnerId: string, personId: string): Generator<GeneratedEvent, number> {
    const certificationId = faker.helpers.arrayElement(faker.number.float() < 0.6 ? SALES_CERTS : TECH_CERTS);
    const earnedAt = dayIn(begin - 365, end);
    const expiresAt = faker.number.float() < 0.85 ? formatDay(addMonths(earnedAt, 24)) : null;
    yield {
      id: id('lms'),
      source: 'lms',
      type: 'certification.earned',
      occurredAt: occurred(earnedAt, faker),
      partnerId,
      data: { personId, certificationId, earnedAt: formatDay(earnedAt), expiresAt },
    };
    const roll = faker.number.float();
    if (roll < 0.04) {
      const revokedAt = dayIn(earnedAt, end);
      yield {
        id: id('lms'),
        source: 'lms',
        type: 'certification.revoked',
        occurredAt: occurred(revokedAt, faker),
        partnerId,
        data: { personId, certificationId, revokedAt: formatDay(revokedAt) },
      };
      return 2;
    }
    if (roll < 0.07) {
      const departedAt = dayIn(earnedAt, end);
      yield {
        id: id('lms'),
        source: 'lms',
        type: 'person.departed',
        occurredAt: occurred(departedAt, faker),
        partnerId,
        data: { personId, departedAt: formatDay(departedAt) },
      };
      return 2;
    }
    return 1;
  }

  function* invoice(partnerId: string, size: number): Generator<GeneratedEvent, number> {
    const invoiceId = `INV-${(seq++).toString(36)}`;
    const bookedAt = dayIn(begin + Math.floor(span / 3));
    const cents = Math.round(faker.number.float({ min: 500, max: 15_000 }) * size) * 100;
    const recurring = faker.number.float() < 0.7;
    yield {
      id: id('erp'),
      source: 'erp',
      type: 'invoice.booked',
      occurredAt: occurred(bookedAt, faker),
      partnerId,
      data: { invoiceId, amount: amountText(cents), currency: 'USD', bookedAt: formatDay(bookedAt), recurring },
    };
    if (faker.number.float() < 0.08) {
      const creditedAt = dayIn(bookedAt, end);
      const credit = Math.round(cents * faker.number.float({ min: 0.1, max: 1 }));
      yield {
        id: id('erp'),
        source: 'erp',
        type: 'invoice.credited',
        occurredAt: occurred(creditedAt, faker),
        partnerId,
        data: {
          invoiceId,
          creditId: `CR-${(seq++).toString(36)}`,
          amount: amountText(credit),
          currency: 'USD',
          creditedAt: formatDay(creditedAt),
        },
      };
      return 2;
    }
    return 1;
  }
}
