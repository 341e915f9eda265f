// What the chaos harness sends, deterministic for a seed: a generated history (shuffled, with
// duplicates), then late backdated events (deals closed days ago, certifications earned long
// ago: promotions that notify), with invalid events of known count mixed in (broken fields,
// unknown types, events posted to another source's endpoint). Events go out as signed
// webhook bodies of 40–200 events; some bodies are posted twice. A sender retries a body
// until it gets 202, as a source system would.
import { createHash } from 'node:crypto';
import { validateEvent } from '../../domain/events/parse.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';
import { signBody, SIGNATURE_HEADER } from '../../workers/http/signature.ts';
import { prng, shuffle } from '../setup/prng.ts';

export type Source = 'crm' | 'lms' | 'erp';
const SOURCES: Source[] = ['crm', 'lms', 'erp'];

export interface Body {
  source: Source;
  text: string;
  events: number;
}

export interface FeedData {
  main: Body[];
  late: Body[];
  /** Every valid event as sent (duplicates included), for the reference evaluation. */
  valid: GeneratedEvent[];
  /** The bytes the dead-letter store must hold, one per distinct invalid event. */
  invalidRaw: Set<string>;
  counts: {
    sent: number;
    distinctValid: number;
    duplicates: number;
    late: number;
    invalid: number;
    bodies: number;
    reposted: number;
  };
}

const pick = <T>(items: readonly T[], rnd: () => number): T => items[Math.floor(rnd() * items.length)] as T;

interface Outgoing {
  /** The endpoint it is posted to (an invalid event may name another source). */
  to: Source;
  event: unknown;
}

/** Invalid events: each is refused by validation or by the endpoint it arrives on. */
function invalidEvents(n: number, tag: string, history: readonly GeneratedEvent[], rnd: () => number): Outgoing[] {
  const out: Outgoing[] = [];
  for (let i = 0; i < n; i++) {
    const base = pick(history, rnd);
    const id = `bad-${tag}-${i}`;
    switch (i % 5) {
      case 0:
        out.push({
          to: base.source,
          event: {
            ...base,
            id,
            data: { ...base.data, amount: 'a lot', closedAt: 'yesterday' },
            type: 'deal.upserted',
            source: 'crm',
          },
        });
        break;
      case 1:
        out.push({ to: base.source, event: { ...base, id, type: `${base.type.split('.')[0]}.exploded` } });
        break;
      case 2:
        out.push({
          to: base.source,
          event: { id, source: base.source, type: base.type, occurredAt: 'not a time', data: base.data },
        });
        break;
      case 3: {
        const { partnerId: _dropped, ...rest } = base;
        out.push({ to: base.source, event: { ...rest, id } });
        break;
      }
      default:
        // A well-formed event on another source's endpoint.
        out.push({
          to: pick(
            SOURCES.filter((s) => s !== base.source),
            rnd,
          ),
          event: { ...base, id },
        });
    }
  }
  return out;
}

/** Late events for the first partners: deals closed in the last days (some large), certifications earned last year. */
function lateEvents(
  history: readonly GeneratedEvent[],
  today: string,
  partners: number,
  rnd: () => number,
): GeneratedEvent[] {
  const ids = [...new Set(history.map((e) => e.partnerId))].slice(0, partners);
  const day = (back: number): string =>
    new Date(Date.parse(`${today}T00:00:00Z`) - back * 86_400_000).toISOString().slice(0, 10);
  return ids.flatMap((partnerId, i): GeneratedEvent[] => [
    {
      id: `late-deal-${i}`,
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: `${today}T10:00:00Z`,
      partnerId,
      data: {
        dealId: `LATE-${i}`,
        stage: 'closed_won',
        amount: `${Math.floor(rnd() * (i % 4 === 0 ? 2_500_000 : 200_000))}.${String(i % 100).padStart(2, '0')}`,
        currency: 'USD',
        customerId: `C-late-${i}`,
        closedAt: day(1 + (i % 5)),
        version: 1,
      },
    },
    {
      id: `late-cert-${i}`,
      source: 'lms',
      type: 'certification.earned',
      occurredAt: `${today}T10:00:00Z`,
      partnerId,
      data: {
        personId: `${partnerId}-late`,
        certificationId: i % 2 ? 'sales-expert' : 'tech-expert',
        earnedAt: day(300),
        expiresAt: day(-400),
      },
    },
  ]);
}

function bodies(items: readonly Outgoing[], rnd: () => number): Body[] {
  const out: Body[] = [];
  const open = new Map<Source, { events: unknown[]; size: number }>();
  const flush = (source: Source): void => {
    const b = open.get(source);
    if (!b || b.events.length === 0) return;
    out.push({ source, text: JSON.stringify(b.events), events: b.events.length });
    open.delete(source);
  };
  for (const item of items) {
    const b = open.get(item.to) ?? { events: [], size: 40 + Math.floor(rnd() * 160) };
    open.set(item.to, b);
    b.events.push(item.event);
    if (b.events.length >= b.size) flush(item.to);
  }
  for (const s of SOURCES) flush(s);
  return out;
}

export function buildFeed(options: {
  seed: number;
  partners: number;
  eventsPerPartner: number;
  today: string;
  program: ProgramSet;
}): FeedData {
  const rnd = prng(options.seed);
  const ctx = { currency: options.program.currency, timezone: options.program.timezone };
  const history = [
    ...generateHistory({
      partners: options.partners,
      seed: options.seed,
      until: options.today,
      months: 24,
      eventsPerPartner: options.eventsPerPartner,
    }),
  ];
  const duplicates = history.filter(() => rnd() < 0.04);
  const main = shuffle([...history, ...duplicates], rnd);
  const late = lateEvents(history, options.today, Math.min(400, options.partners), rnd);
  const lateSent = shuffle([...late, ...late.filter(() => rnd() < 0.05)], rnd);
  const badMain = invalidEvents(150, 'm', history, rnd);
  const badLate = invalidEvents(30, 'l', history, rnd);
  const invalidRaw = new Set<string>();
  for (const bad of [...badMain, ...badLate]) {
    const raw = JSON.stringify(bad.event);
    const result = validateEvent(bad.event, ctx);
    // A well-formed event sent to another endpoint is valid on its own: the endpoint refuses it.
    if (result.ok && (bad.event as { source: string }).source === bad.to)
      throw new Error(`feed: an "invalid" event is valid: ${raw}`);
    invalidRaw.add(raw);
  }
  for (const e of [...history, ...late]) {
    const result = validateEvent(e, ctx);
    if (!result.ok) throw new Error(`feed: generated event refused: ${result.reason}`);
  }
  // Invalid events spread through the stream, a few of them twice.
  const mix = (valid: GeneratedEvent[], bad: Outgoing[]): Outgoing[] => {
    const out: Outgoing[] = valid.map((event) => ({ to: event.source, event }));
    for (const b of [...bad, ...bad.slice(0, 10)]) out.splice(Math.floor(rnd() * (out.length + 1)), 0, b);
    return out;
  };
  const mainBodies = bodies(mix(main, badMain), rnd);
  const lateBodies = bodies(mix(lateSent, badLate), rnd);
  // Some bodies are posted again (a sender that never saw the 202).
  const again = (list: Body[]): Body[] => {
    const out = [...list];
    for (const b of list) if (rnd() < 0.03) out.splice(Math.floor(rnd() * (out.length + 1)), 0, b);
    return out;
  };
  const mainSent = again(mainBodies);
  const lateBodiesSent = again(lateBodies);
  const all = [...mainSent, ...lateBodiesSent];
  return {
    main: mainSent,
    late: lateBodiesSent,
    valid: [...main, ...lateSent],
    invalidRaw,
    counts: {
      sent: all.reduce((n, b) => n + b.events, 0),
      distinctValid: history.length + late.length,
      duplicates: duplicates.length + (lateSent.length - late.length),
      late: late.length,
      invalid: invalidRaw.size,
      bodies: all.length,
      reposted: all.length - mainBodies.length - lateBodies.length,
    },
  };
}

export const rawHash = (raw: string | Buffer): string => createHash('sha256').update(raw).digest('hex');

export interface SendStats {
  posted: number;
  retries: number;
  events: number;
}

/** Posts one body until the receiver answers 202 (network errors and 5xx are retried). */
export async function postBody(
  base: string,
  secrets: Record<Source, string>,
  body: Body,
  stats: SendStats,
  stopped: () => boolean,
): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${base}/events/${body.source}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(secrets[body.source], body.text) },
        body: body.text,
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      if (res.status === 202) {
        stats.posted++;
        stats.events += body.events;
        return;
      }
      if (res.status < 500) throw new Error(`receiver answered ${res.status} to a signed body: the harness is wrong`);
    } catch (error) {
      if (error instanceof Error && error.message.includes('the harness is wrong')) throw error;
    }
    if (stopped()) throw new Error('feed stopped before every body was accepted');
    stats.retries++;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Sends bodies with `concurrency` senders, at about `rate` events per second. */
export async function sendAll(
  bodies: readonly Body[],
  options: {
    base: string;
    secrets: Record<Source, string>;
    rate: number;
    concurrency: number;
    stats: SendStats;
    stopped: () => boolean;
  },
): Promise<void> {
  let next = 0;
  let sentEvents = 0;
  const started = Date.now();
  const sender = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++] as Body;
      // Pace: never ahead of rate × elapsed.
      const due = started + (sentEvents / options.rate) * 1000;
      sentEvents += body.events;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      await postBody(options.base, options.secrets, body, options.stats, options.stopped);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
}
