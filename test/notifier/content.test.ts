// Email wording and safety without services: amounts in words from the program's metrics,
// each kind's subject and parts, escaping of CRM values, header safety, signed unsubscribe
// tokens, SMTP_URL parsing and the classification of send failures.
import { describe, expect, it } from 'vitest';
import { composeNotification, type ComposeInput } from '../../email/content.ts';
import { formatLongDate, formatMoney, formatPercent, joinWords } from '../../email/format.ts';
import { criterionKindAt, needPhrase } from '../../email/metrics.ts';
import { headerText, normaliseAddress } from '../../email/safety.ts';
import { SAMPLE_NOTIFICATIONS } from '../../email/samples.ts';
import { renderEmail } from '../../email/templates.ts';
import { notifierConfigFromEnv } from '../../workers/notifier/config.ts';
import { stableMessageId } from '../../workers/notifier/notifier.ts';
import { TokenBucket } from '../../workers/notifier/rate.ts';
import { wroteNotifications } from '../../workers/notifier/role.ts';
import { classifySendError, parseSmtpUrl } from '../../workers/notifier/transport.ts';
import { signUnsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from '../../workers/notifier/unsubscribe.ts';
import { loadExampleProgram } from '../setup/pipeline.ts';

const program = loadExampleProgram().versions[0]?.program;
if (!program) throw new Error('no program');

function sample(name: string): ComposeInput {
  const s = SAMPLE_NOTIFICATIONS.find((x) => x.name === name);
  if (!s || !program) throw new Error(name);
  return {
    kind: s.kind,
    payload: s.payload,
    program,
    partnerName: s.partnerName,
    recipientName: s.recipientName,
    unsubscribeUrl: 'http://localhost:8080/unsubscribe?token=abc',
  };
}

const render = (input: ComposeInput) => renderEmail(composeNotification(input));

describe('formatting for people', () => {
  it('formats money with the currency, exactly, and rates as percentages', () => {
    expect(formatMoney('88000.00', 'USD')).toBe('$88,000');
    expect(formatMoney('1250.50', 'USD')).toBe('$1,250.50');
    expect(formatMoney('12345678901234567.89', 'USD')).toBe('$12,345,678,901,234,567.89');
    expect(formatMoney('1200', 'JPY')).toBe('¥1,200');
    expect(formatMoney('3000.00', 'EUR')).toBe('€3,000');
    expect(formatPercent('0.05')).toBe('5%');
    expect(formatPercent('0.0125')).toBe('1.25%');
    expect(formatPercent('0.10')).toBe('10%');
    expect(formatPercent('1')).toBe('100%');
    expect(formatLongDate('2026-12-10')).toBe('10 December 2026');
    expect(joinWords(['a', 'b', 'c'])).toBe('a, b and c');
  });

  it('words each unmet criterion from the metric definition', () => {
    const revenue = {
      path: 'allOf[0].anyOf[0]',
      metric: 'revenue12m',
      actual: '912000.00',
      required: '1000000',
      shortBy: '88000.00',
    };
    const tech = { path: 'allOf[2]', metric: 'techCertified', actual: '1', required: '2', shortBy: '1' };
    const sales = { path: 'allOf[1]', metric: 'salesCertified', actual: '3', required: '5', shortBy: '2' };
    const gold = program.tracks[0]?.tiers[2]?.criteria ?? null;
    expect(criterionKindAt(gold, revenue.path)).toBe('atLeast');
    expect(needPhrase(revenue, program, 'atLeast')).toBe('$88,000 more trailing-12-month revenue');
    expect(needPhrase(tech, program, 'atLeast')).toBe('1 more person with tech-expert');
    expect(needPhrase(sales, program, 'atLeast')).toBe('2 more people with sales-associate or sales-expert');
    expect(needPhrase({ ...revenue, metric: 'mrr', shortBy: '500.00' }, program, 'atMost')).toBe(
      'recurring revenue this month to come down by $500',
    );
    expect(
      needPhrase(
        { path: 'score.parts[1]', metric: 'newCustomers12m', actual: '7', required: '10', shortBy: '3' },
        program,
        'score',
      ),
    ).toBe('3 more customers in the last 12 months');
    const elite = program.tracks[1]?.tiers[1]?.criteria ?? null;
    expect(criterionKindAt(elite, 'score.parts[1]')).toBe('score');
    expect(criterionKindAt(elite, 'score.parts[9]')).toBeUndefined();
  });
});

describe('each kind of email', () => {
  it('promotion: new tier, benefits gained, what the next tier takes', () => {
    const email = render(sample('tier.promoted'));
    expect(email.subject).toBe('Congratulations: Northwind Systems GmbH is now Silver');
    for (const part of [email.html, email.text]) {
      expect(part).toContain('21 November 2026');
      expect(part).toContain('$388,000 more trailing-12-month revenue');
      expect(part).toContain('2 more people with tech-expert');
      expect(part).toContain('Hello Dana Whitfield,');
    }
    expect(email.text).toContain('Commission: 3% -> 5%');
    expect(email.html).toContain('href="http://localhost:8080/unsubscribe?token&#x3D;abc"');
  });

  it('grace entry: the date it ends, what keeps the tier, the benefits at stake', () => {
    const email = render(sample('tier.at-risk'));
    expect(email.subject).toBe(
      'Action needed: Harbor & Vale IT Services could move from Gold to Silver on 14 February 2027',
    );
    expect(email.text).toContain(
      'You need $88,000 more trailing-12-month revenue and 1 more person with tech-expert to keep Gold.',
    );
    expect(email.text).toContain('Commission: 8% -> 5%');
    expect(email.html).toContain('Harbor &amp; Vale IT Services');
  });

  it('dated risk: the day and the cause in words', () => {
    const email = render(sample('tier.at-risk.dated'));
    expect(email.subject).toBe('Keystone Data Solutions could fall below the Gold requirements on 10 December 2026');
    expect(email.text).toContain(
      '10 December 2026: Certifications held by your staff expire: the number of people with sales-associate or sales-expert falls from 6 to 2. You would then qualify for Silver instead of Gold.',
    );
  });

  it('dated risk: worded from the structured fields, never from detail', () => {
    const input = sample('tier.at-risk.dated');
    const payload = structuredClone(input.payload) as Record<string, unknown> & { scorecard: { risks: unknown[] } };
    payload.detail = 'free text that is not parsed';
    payload.scorecard.risks = [{ ...(payload.risk as object), detail: 'free text that is not parsed' }];
    const email = render({ ...input, payload });
    expect(email.text).toContain(
      '10 December 2026: Certifications held by your staff expire: the number of people with sales-associate or sales-expert falls from 6 to 2. You would then qualify for Silver instead of Gold.',
    );
    expect(email.text).not.toContain('free text');
  });

  it('uses the display names (label) of metrics and certifications instead of their ids', () => {
    const labelled = structuredClone(program);
    labelled.certifications = { 'sales-expert': { label: 'Sales Expert' }, 'tech-expert': { label: 'Tech Expert' } };
    const revenue = labelled.metrics.revenue12m;
    if (revenue) revenue.label = 'partner-sourced revenue (12 months)';
    const grace = render({ ...sample('tier.at-risk'), program: labelled });
    expect(grace.text).toContain(
      'You need $88,000 more partner-sourced revenue (12 months) and 1 more person with Tech Expert to keep Gold.',
    );
    const dated = render({ ...sample('tier.at-risk.dated'), program: labelled });
    expect(dated.text).toContain('the number of people with sales-associate or Sales Expert falls from 6 to 2');
  });

  it('near promotion and demotion', () => {
    const near = render(sample('tier.near-promotion'));
    expect(near.subject).toBe('Summit Reseller Group is close to Gold');
    expect(near.text).toContain('You need $88,000 more trailing-12-month revenue to reach Gold.');
    expect(near.text).toContain('is within 10% of every requirement for Gold');
    const demoted = render(sample('tier.demoted'));
    expect(demoted.subject).toBe('Bluebird Cloud Partners has moved from Gold to Silver');
    expect(demoted.text).toContain(
      'You need $88,000 more trailing-12-month revenue and 1 more person with tech-expert to return to Gold.',
    );
  });
});

describe('values from the CRM', () => {
  const hostile = '<img src=x onerror=alert(1)>Evil & Co\r\nBcc: victim@example.com';

  it('are escaped in the HTML part and stripped of line breaks in the subject', () => {
    const email = render({
      ...sample('tier.promoted'),
      partnerName: hostile,
      recipientName: '<b>Eve</b>\nBcc: x@example.com',
    });
    expect(email.html).not.toContain('<img src=x');
    expect(email.html).not.toContain('<b>Eve</b>');
    expect(email.html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;Evil &amp; Co Bcc: victim@example.com');
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toBe(
      'Congratulations: <img src=x onerror=alert(1)>Evil & Co Bcc: victim@example.com is now Silver',
    );
    expect(email.text).toContain('<img src=x onerror=alert(1)>Evil & Co Bcc: victim@example.com');
  });

  it('header text loses every control character; unusable addresses are refused', () => {
    expect(headerText('a\r\nb\tc\u0000d\u2028e')).toBe('a b c d e');
    expect(headerText('x'.repeat(300)).length).toBe(200);
    expect(normaliseAddress(' Dana@Example.COM ')).toBe('dana@example.com');
    for (const bad of [
      'dana@example.com\r\nBcc: x@y.com',
      'a,b@example.com',
      'no-at-sign',
      '<a@b.com>',
      'a@b',
      'a b@example.com',
      42,
    ])
      expect(normaliseAddress(bad)).toBeUndefined();
  });
});

describe('unsubscribe tokens', () => {
  const claims = { partnerId: 'P-00042', email: 'dana@example.com', kind: 'tier.at-risk' as const };

  it('round-trip, and refuse tampering, another secret and garbage', () => {
    const token = signUnsubscribeToken(claims, 's3cret');
    expect(verifyUnsubscribeToken(token, 's3cret')).toEqual(claims);
    expect(verifyUnsubscribeToken(token, 'other')).toBeUndefined();
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ v: 1, p: 'P-00043', e: 'dana@example.com', k: '*' })).toString(
      'base64url',
    );
    expect(verifyUnsubscribeToken(`${forged}.${signature}`, 's3cret')).toBeUndefined();
    expect(verifyUnsubscribeToken(`${payload}.${signature.slice(0, -2)}`, 's3cret')).toBeUndefined();
    for (const junk of ['', '.', 'a.b.c', `${payload}`, 'x'.repeat(5000)])
      expect(verifyUnsubscribeToken(junk, 's3cret')).toBeUndefined();
    expect(unsubscribeUrl('https://partners.example.com/', token)).toBe(
      `https://partners.example.com/unsubscribe?token=${token}`,
    );
  });
});

describe('notifier plumbing', () => {
  it('parses SMTP_URL: TLS from smtps:// or ?secure=true, credentials decoded', () => {
    expect(parseSmtpUrl('smtp://127.0.0.1:1025')).toMatchObject({ host: '127.0.0.1', port: 1025, secure: false });
    expect(parseSmtpUrl('smtps://mail.example.com')).toMatchObject({ port: 465, secure: true });
    expect(parseSmtpUrl('smtp://u%40x:p%3Aw@mail.example.com:2525?secure=true')).toMatchObject({
      port: 2525,
      secure: true,
      auth: { user: 'u@x', pass: 'p:w' },
    });
    expect(parseSmtpUrl('smtp://mail.example.com?requireTLS=true').requireTLS).toBe(true);
    expect(() => parseSmtpUrl('http://mail.example.com')).toThrow(/smtp/);
  });

  it('classifies send failures: 5xx and refused addresses permanent, the rest transient', () => {
    expect(
      classifySendError(
        Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' }),
      ),
    ).toMatchObject({ permanent: true });
    expect(
      classifySendError(
        Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 451, response: '451 try later' }),
      ),
    ).toMatchObject({ permanent: false });
    expect(classifySendError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNECTION' }))).toMatchObject({
      permanent: false,
    });
    expect(classifySendError(Object.assign(new Error('auth'), { code: 'EAUTH', responseCode: 535 }))).toMatchObject({
      permanent: false,
    });
    expect(classifySendError(Object.assign(new Error('No recipients defined'), { code: 'EENVELOPE' }))).toMatchObject({
      permanent: true,
    });
    expect(classifySendError(new Error('something odd'))).toMatchObject({ permanent: false });
  });

  it('reads its settings from the environment, refusing unsigned real mail', () => {
    const config = notifierConfigFromEnv({});
    expect(config).toMatchObject({
      smtpUrl: undefined,
      outboxDir: './outbox',
      perPartnerPerDay: 5,
      perSecond: 10,
      publicUrl: 'http://localhost:8080',
    });
    expect(() => notifierConfigFromEnv({ SMTP_URL: 'smtp://127.0.0.1:25' })).toThrow(/TIERLINE_UNSUBSCRIBE_SECRET/);
    expect(() => notifierConfigFromEnv({ TIERLINE_MAIL_PER_PARTNER_PER_DAY: 'five' })).toThrow(
      /TIERLINE_MAIL_PER_PARTNER_PER_DAY/,
    );
    expect(() => notifierConfigFromEnv({ TIERLINE_PUBLIC_URL: 'javascript:alert(1)' })).toThrow(/TIERLINE_PUBLIC_URL/);
    expect(notifierConfigFromEnv({ TIERLINE_MAIL_PER_SECOND: '2.5' }).perSecond).toBe(2.5);
  });

  it('gives one Message-ID per notification and recipient, the same on every resend', () => {
    const a = stableMessageId('tier.promoted|P-1|2026-11-21|registered|silver', 'dana@example.com');
    expect(a).toMatch(/^<[0-9a-f]{40}\.[0-9a-f]{12}@tierline>$/);
    expect(stableMessageId('tier.promoted|P-1|2026-11-21|registered|silver', 'DANA@example.com')).toBe(a);
    expect(stableMessageId('tier.promoted|P-1|2026-11-21|registered|silver', 'sam@example.com')).not.toBe(a);
  });

  it('spreads a burst at the configured rate instead of dropping it', async () => {
    let now = 0;
    const bucket = new TokenBucket(
      10,
      () => now,
      async (ms) => void (now += ms),
    );
    for (let i = 0; i < 30; i++) await bucket.take();
    // 10 at once (one second's burst), then 20 more at 10 per second.
    expect(now).toBeGreaterThanOrEqual(1_900);
    expect(now).toBeLessThan(2_100);
  });

  it('wakes on recompute results that wrote notifications', () => {
    expect(wroteNotifications('{"partners":1,"notifications":2}')).toBe(true);
    expect(wroteNotifications({ notifications: 0 })).toBe(false);
    expect(wroteNotifications('not json')).toBe(false);
  });
});

describe('the partner-page link (SPEC §12)', () => {
  it('every partner email carries it, in the HTML and the text, escaped; none without one', () => {
    const first = SAMPLE_NOTIFICATIONS[0]?.name ?? '';
    const url = 'https://tierline.example/p/eyJ2IjoxfQ.c2ln';
    const withLink = render({ ...sample(first), pageUrl: url });
    expect(withLink.html).toContain(`href="${url}"`);
    expect(withLink.html).toContain('See where you stand, any day');
    expect(withLink.text).toContain(`See where you stand, any day: ${url}`);
    const hostile = render({ ...sample(first), pageUrl: 'https://x.example/p/"><script>' });
    expect(hostile.html).not.toContain('"><script>');
    const without = render(sample(first));
    expect(without.html).not.toContain('See where you stand');
    expect(without.text).not.toContain('See where you stand');
  });
});
