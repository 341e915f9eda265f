// Shared by the hostile-corpus tests (HTTP receiver and file importer): a pipeline with the
// ingest, recompute and notifier workers writing .eml files, and the per-case checks of what
// ended up stored, dead-lettered, emailed, or polluted.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { expect, it } from 'vitest';
import { rawHash } from '../../db/repositories/dead-letters.ts';
import { HOSTILE_CASES, caseBytes, outcomeOf, type HostileCase } from '../fixtures/hostile/cases.ts';
import { setEnv } from '../setup/env.ts';
import { pollUntil } from '../setup/wait.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

export const TODAY = '2026-11-23';
export const MAIL_PARTNER = 'P-HOSTILE-MAIL';
/** The primary contacts of MAIL_PARTNER (its finance contact gets nothing). */
export const MAIL_RECIPIENTS = ['dana@acme-hostile.example', 'eve@acme-hostile.example', 'lsep@acme-hostile.example'];

export interface HostilePipeline {
  pipeline: Pipeline;
  outboxDir: string;
  stop(): Promise<void>;
}

/** A pipeline with every worker role but the scheduler, today pinned, emails as .eml files in a private directory. */
export async function startHostilePipeline(): Promise<HostilePipeline> {
  const outboxDir = await mkdtemp(join(tmpdir(), 'tierline-hostile-mail-'));
  const env: Record<string, string> = {
    TIERLINE_TODAY: TODAY,
    MAIL_OUTBOX_DIR: outboxDir,
    TIERLINE_MAIL_POLL_MS: '50',
    TIERLINE_MAIL_SETTLE_SECONDS: '0',
    TIERLINE_UNSUBSCRIBE_SECRET: 'hostile-unsubscribe-secret-0123456789',
  };
  const restoreEnv = setEnv(env);
  const pipeline = await createPipeline();
  await pipeline.startWorkers(['ingest', 'recompute', 'notifier']);
  return {
    pipeline,
    outboxDir,
    async stop() {
      await pipeline.stop();
      await rm(outboxDir, { recursive: true, force: true });
      restoreEnv();
    },
  };
}

type Json = Record<string, unknown>;

/** The event a case's bytes hold, when they are one JSON object (a BOM dropped as the decoders do). */
export function eventOf(c: HostileCase): Json | undefined {
  try {
    const value: unknown = JSON.parse(
      caseBytes(c)
        .toString('utf8')
        .replace(/^\ufeff/, ''),
    );
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** The bytes a dead letter of this case may hold: the bytes as sent, or (webhook elements) the element re-serialised. */
function deadLetterCandidates(c: HostileCase): string[] {
  const bytes = caseBytes(c);
  const hashes = [rawHash(bytes)];
  try {
    hashes.push(rawHash(Buffer.from(JSON.stringify(JSON.parse(bytes.toString('utf8'))), 'utf8')));
  } catch {
    // not JSON, or too deep to re-serialise: only the bytes as sent
  }
  return hashes;
}

/** How many facts an event left behind (its own row in its fact table). */
async function factRows(pipeline: Pipeline, event: Json): Promise<number> {
  const db = pipeline.database.db;
  const id = String(event.id);
  const source = String(event.source);
  const count = async (query: Promise<{ n: string | number | bigint }>): Promise<number> => Number((await query).n);
  switch (event.type) {
    case 'partner.upserted':
      return count(
        db
          .selectFrom('partners')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('partner_id', '=', String(event.partnerId))
          .where('source_event_id', '=', id)
          .executeTakeFirstOrThrow(),
      );
    case 'deal.upserted':
      return count(
        db
          .selectFrom('deals')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('partner_id', '=', String(event.partnerId))
          .where('source', '=', source)
          .where('event_id', '=', id)
          .executeTakeFirstOrThrow(),
      );
    case 'certification.earned':
      return count(
        db
          .selectFrom('certifications_earned')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('source', '=', source)
          .where('event_id', '=', id)
          .executeTakeFirstOrThrow(),
      );
    default:
      throw new Error(`no fact check for ${String(event.type)}`);
  }
}

/**
 * Every case against its expected outcome on `path`; returns one line per problem (empty
 * when all hold). Also checks that nothing else was dead-lettered.
 */
export async function checkCases(pipeline: Pipeline, path: 'http' | 'file'): Promise<string[]> {
  const db = pipeline.database.db;
  const problems: string[] = [];
  const dead = await db.selectFrom('dead_letters').select(['raw_hash', 'reason', 'attempts', 'event_id']).execute();
  const deadByHash = new Map(dead.map((d) => [d.raw_hash, d]));
  const inbox = await db.selectFrom('inbox').select(['source', 'event_id', 'outcome', 'partner_id']).execute();
  const inboxKeys = new Map<string, number>();
  for (const r of inbox)
    inboxKeys.set(`${r.source}|${r.event_id}`, (inboxKeys.get(`${r.source}|${r.event_id}`) ?? 0) + 1);
  const matched = new Set<string>();

  for (const c of HOSTILE_CASES) {
    const expected = outcomeOf(c, path);
    const event = eventOf(c);
    const key = event ? `${String(event.source)}|${String(event.id)}` : undefined;
    const stored = key ? (inboxKeys.get(key) ?? 0) : 0;
    const letters = [...new Set(deadLetterCandidates(c))].map((h) => deadByHash.get(h)).filter((d) => d !== undefined);
    for (const d of letters) matched.add(d.raw_hash);
    const say = (problem: string): void => void problems.push(`${c.file} (${path}): ${problem}`);
    if (expected.outcome === 'stored') {
      if (stored !== 1) say(`expected stored once, inbox has ${stored}`);
      else if (event && (await factRows(pipeline, event)) !== 1)
        say('stored in the inbox but its fact is not written exactly once');
      if (letters.length > 0) say(`also dead-lettered: ${JSON.stringify(letters[0]?.reason)}`);
    } else if (expected.outcome === 'dead-lettered') {
      if (stored !== 0) say('dead-lettered case is in the inbox');
      if (letters.length !== 1) say(`expected one dead letter, found ${letters.length}`);
      const message = (letters[0]?.reason as { message?: string } | undefined)?.message ?? '';
      if (letters.length === 1 && !expected.reason.test(message))
        say(`reason ${JSON.stringify(message.slice(0, 300))} does not match ${expected.reason}`);
      if (letters.length === 1 && letters[0]?.attempts !== 1) say(`dead letter has ${letters[0]?.attempts} attempts`);
    } else {
      if (stored !== 0 || letters.length !== 0)
        say(`refused case left ${stored} inbox rows and ${letters.length} dead letters`);
    }
  }
  // Nothing of the 500 events inside the refused / over-limit bodies was stored.
  const big = inbox.filter((r) => r.partner_id === 'P-HOSTILE-BIG').length;
  if (big > 0) problems.push(`${big} events of the oversized cases are in the inbox`);
  const stray = dead.filter((d) => !matched.has(d.raw_hash));
  for (const d of stray)
    problems.push(`unexpected dead letter ${d.event_id ?? '(no id)'}: ${JSON.stringify(d.reason).slice(0, 200)}`);
  return problems;
}

/** The prototype is untouched and "__proto__" keys stay data, in memory and in Postgres. */
export async function checkPrototypes(pipeline: Pipeline): Promise<string[]> {
  const problems: string[] = [];
  const plain: Json = {};
  for (const name of ['polluted', 'isAdmin', 'role', 'stage'])
    if (plain[name] !== undefined) problems.push(`Object.prototype.${name} is set`);
  const db = pipeline.database.db;
  const row = await db
    .selectFrom('inbox')
    .select('payload')
    .where('event_id', '=', 'hostile-proto-envelope')
    .executeTakeFirst();
  const payload = row?.payload as Json | undefined;
  if (!payload) problems.push('proto-envelope payload not stored');
  else {
    if (Object.getPrototypeOf(payload) !== Object.prototype)
      problems.push('the stored payload read back has a replaced prototype');
    if (!Object.hasOwn(payload, '__proto__'))
      problems.push('"__proto__" was dropped from the stored payload rather than kept as data');
    if (payload.polluted !== undefined || payload.isAdmin !== undefined || payload.source !== 'crm')
      problems.push('"__proto__" in the payload became its prototype');
  }
  const { rows } = await sql<{
    kept: boolean;
    polluted: string | null;
  }>`select payload ? '__proto__' as kept, payload -> '__proto__' ->> 'polluted' as polluted from inbox where event_id = 'hostile-proto-envelope'`.execute(
    db,
  );
  if (rows[0]?.kept !== true || rows[0]?.polluted !== 'envelope')
    problems.push(`jsonb does not keep "__proto__" as a key: ${JSON.stringify(rows[0])}`);
  const deal = await db
    .selectFrom('deals')
    .select(['stage', 'amount'])
    .where('event_id', '=', 'hostile-proto-data')
    .executeTakeFirst();
  if (deal?.stage !== 'closed_won') problems.push(`proto-data deal stage is ${deal?.stage}, not closed_won`);
  const dup = await db
    .selectFrom('deals')
    .select('amount')
    .where('event_id', '=', 'hostile-duplicate-keys')
    .executeTakeFirst();
  if (dup && Number(dup.amount) !== 1000)
    problems.push(`duplicate-keys amount is ${dup.amount}, not the last value 1000.00`);
  const partner = await db
    .selectFrom('partners')
    .select('contacts')
    .where('partner_id', '=', 'P-HOSTILE-PROTO')
    .executeTakeFirst();
  const contact = (partner?.contacts as Json[] | undefined)?.[0];
  if (!contact) problems.push('proto-contact partner not stored');
  else if (contact.role !== undefined) problems.push(`the "__proto__" contact has role ${String(contact.role)}`);
  const outbox = await db.selectFrom('outbox').select('id').where('partner_id', '=', 'P-HOSTILE-PROTO').execute();
  if (outbox.length > 0) problems.push('P-HOSTILE-PROTO got notifications');
  const sqlPartner = await db
    .selectFrom('partners')
    .select('name')
    .where('partner_id', '=', "P-HOSTILE-SQL'; DROP TABLE partners;--")
    .executeTakeFirst();
  if (sqlPartner?.name !== "Robert'); DROP TABLE partners;--")
    problems.push('the SQL-injection partner name was not stored verbatim');
  return problems;
}

/** The 309-digit amount is evaluated exactly: the partner's revenue is that number, and nothing is left owed. */
export async function checkHugeAmount(pipeline: Pipeline): Promise<string[]> {
  const db = pipeline.database.db;
  const card = (
    await db.selectFrom('scorecards').select('scorecard').where('partner_id', '=', 'P-HOSTILE-NUM').executeTakeFirst()
  )?.scorecard;
  const owed = await db
    .selectFrom('recompute_requests')
    .select('partner_id')
    .where('partner_id', '=', 'P-HOSTILE-NUM')
    .execute();
  const problems: string[] = [];
  if (!JSON.stringify(card ?? null).includes(`1${'0'.repeat(308)}`))
    problems.push(`P-HOSTILE-NUM's scorecard does not show the exact amount: ${JSON.stringify(card).slice(0, 300)}`);
  if (owed.length > 0) problems.push('P-HOSTILE-NUM still owes a recompute');
  return problems;
}

export interface Email {
  file: string;
  raw: string;
  headerLines: string[];
  to: string[];
  subject: string;
  html: string;
  text: string;
}

/** Waits for MAIL_PARTNER's promotion to be written to one .eml file per primary contact. */
export async function promotionEmails(h: HostilePipeline): Promise<Email[]> {
  await pollUntil(
    'the promotion emails',
    async () => {
      const rows = await h.pipeline.database.db
        .selectFrom('outbox')
        .select(['status', 'kind'])
        .where('partner_id', '=', MAIL_PARTNER)
        .execute();
      return rows.some((r) => r.kind === 'tier.promoted') &&
        rows.every((r) => r.status !== 'pending' && r.status !== 'claimed')
        ? rows
        : undefined;
    },
    60_000,
    100,
  );
  const files = (await readdir(h.outboxDir)).filter(
    (f) => f.endsWith('.eml') && f.includes(MAIL_PARTNER) && f.startsWith('tier-promoted'),
  );
  return Promise.all(
    files.map(async (file) => {
      const raw = await readFile(join(h.outboxDir, file), 'utf8');
      const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
      // Unfolded: a continuation line (leading space or tab) belongs to the header above.
      const headerLines = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
      const mail = await simpleParser(raw);
      const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) =>
        a.value.map((v) => v.address ?? ''),
      );
      return {
        file,
        raw,
        headerLines,
        to,
        subject: mail.subject ?? '',
        html: typeof mail.html === 'string' ? mail.html : '',
        text: mail.text ?? '',
      };
    }),
  );
}

/** No header injection and no live markup in a promotion email. */
export function checkEmail(mail: Email): string[] {
  const problems: string[] = [];
  const say = (p: string): void => void problems.push(`${mail.file}: ${p}`);
  const names = mail.headerLines.map((l) => /^([A-Za-z0-9-]+):/.exec(l)?.[1]?.toLowerCase());
  if (names.some((n) => n === undefined))
    say(
      `a header line that is not "Name: value": ${JSON.stringify(mail.headerLines.find((l) => !/^[A-Za-z0-9-]+:/.test(l)))}`,
    );
  for (const banned of ['bcc', 'cc', 'x-injected', 'reply-to'])
    if (names.includes(banned)) say(`injected ${banned} header`);
  for (const once of ['to', 'subject', 'from'])
    if (names.filter((n) => n === once).length !== 1)
      say(`${once} header appears ${names.filter((n) => n === once).length} times`);
  if (mail.to.length !== 1) say(`${mail.to.length} recipients: ${mail.to.join(', ')}`);
  // The injected text may only be inside the display name or subject it came with.
  const carriers = mail.headerLines
    .filter((l) => /spy@evil\.example/i.test(l))
    .map((l) => l.split(':')[0]?.toLowerCase());
  if (carriers.some((n) => n !== 'subject' && n !== 'to'))
    say(`the injected address is in a ${carriers.join(', ')} header`);
  if (/[\r\n]/.test(mail.subject)) say('line break in the subject');
  if (/<script/i.test(mail.html)) say('a <script> tag in the HTML');
  if (/<img/i.test(mail.html)) say('an <img> tag from event data in the HTML');
  if (!mail.html.includes('&lt;script&gt;')) say('the partner name with <script> is not shown HTML-escaped');
  return problems;
}

/** The checks both ways in (receiver and importer) must pass on the same corpus; `get` is read once the suite's beforeAll ran. */
export function itHandlesTheCorpus(get: () => HostilePipeline, path: 'http' | 'file'): void {
  it('stores each good event once and dead-letters each bad one with its reason', async () => {
    expect(await checkCases(get().pipeline, path)).toEqual([]);
  });

  it('leaves the prototype alone and keeps "__proto__" keys as data', async () => {
    expect(await checkPrototypes(get().pipeline)).toEqual([]);
  });

  it('evaluates a 309-digit amount exactly', async () => {
    expect(await checkHugeAmount(get().pipeline)).toEqual([]);
  });

  it('emails the promotion to each primary contact without header injection or live markup', async () => {
    const mails = await promotionEmails(get());
    expect(mails.map((m) => m.to[0]).sort()).toEqual([...MAIL_RECIPIENTS].sort());
    expect(mails.flatMap(checkEmail)).toEqual([]);
  });
}
