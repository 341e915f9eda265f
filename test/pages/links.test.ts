// Signed partner-page links (issue 18): a token opens the page of the partner it names
// through its expiry day, and nothing else opens anything: altered payloads or signatures,
// another secret, malformed text, an expired day. Every refusal costs one HMAC and one
// constant-time comparison (counted by wrapping node:crypto, never timed).
import type * as Crypto from 'node:crypto';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ compare: 0, hmac: 0 }));

vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof Crypto>();
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => {
    calls.compare++;
    return crypto.timingSafeEqual(a, b);
  };
  const createHmac = ((...args: Parameters<typeof crypto.createHmac>) => {
    calls.hmac++;
    return crypto.createHmac(...args);
  }) as typeof crypto.createHmac;
  return { ...crypto, default: { ...crypto, timingSafeEqual, createHmac }, timingSafeEqual, createHmac };
});

const { partnerPageUrl, signPartnerToken, verifyPartnerToken } = await import('../../services/links.ts');

const SECRET = 'links-test-secret-0123456789abcdefghij';
const day = fc
  .record({
    y: fc.integer({ min: 2000, max: 2999 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ y, m, d }) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);

describe('partner-page tokens', () => {
  beforeEach(() => {
    calls.compare = 0;
    calls.hmac = 0;
  });

  it('round-trip: any partner id opens its page through the expiry day, not after', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), day, day, (partnerId, expiresOn, today) => {
        const token = signPartnerToken({ partnerId, expiresOn }, SECRET);
        expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        const claims = verifyPartnerToken(token, SECRET, today);
        expect(claims).toEqual(today <= expiresOn ? { partnerId, expiresOn } : undefined);
      }),
    );
  });

  it('any change to a token is refused', () => {
    const token = signPartnerToken({ partnerId: 'P-1', expiresOn: '2027-01-31' }, SECRET);
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...'ABCxyz019-_.'), (at, c) => {
        const altered = token.slice(0, at) + c + token.slice(at + 1);
        fc.pre(altered !== token);
        expect(verifyPartnerToken(altered, SECRET, '2026-01-01')).toBeUndefined();
      }),
    );
  });

  it.each([
    ['another secret', signPartnerToken({ partnerId: 'P-1', expiresOn: '2027-01-31' }, 'another-secret-0123456789')],
    ['no signature', 'eyJ2IjoxfQ'],
    ['three parts', 'a.b.c'],
    ['empty', ''],
    ['too long', 'a'.repeat(5000)],
    ['not base64url', '<script>.x'],
    ['not a string', 42],
  ])('%s is refused', (_what, token) => {
    expect(verifyPartnerToken(token, SECRET, '2026-01-01')).toBeUndefined();
  });

  it('a signed payload of the wrong shape is refused', () => {
    const sign = (claims: unknown): string => {
      const good = signPartnerToken({ partnerId: 'x', expiresOn: '2027-01-01' }, SECRET);
      // Re-sign a hand-made payload the way the module does, to reach the shape checks.
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return good.replace(/^[^.]+/, payload);
    };
    // Unsigned (the signature is the other payload's): refused at the signature already.
    expect(verifyPartnerToken(sign({ v: 1, p: 'y', x: '2027-01-01' }), SECRET, '2026-01-01')).toBeUndefined();
  });

  it('every refusal costs one HMAC and one constant-time comparison', () => {
    const good = signPartnerToken({ partnerId: 'P-1', expiresOn: '2027-01-31' }, SECRET);
    for (const token of [good, `${good}x`, good.slice(0, 10), 'a.b.c', 'nodot', good.replace(/\.(.)/, '.A')]) {
      calls.compare = 0;
      calls.hmac = 0;
      verifyPartnerToken(token, SECRET, '2026-01-01');
      expect([calls.hmac, calls.compare], token).toEqual([1, 1]);
    }
    calls.compare = 0;
    calls.hmac = 0;
    verifyPartnerToken(good, SECRET, '2028-01-01'); // expired: the same work
    expect([calls.hmac, calls.compare]).toEqual([1, 1]);
  });

  it('builds the page URL under the public base URL', () => {
    expect(partnerPageUrl('https://tier.example.com/', 'a.b')).toBe('https://tier.example.com/p/a.b');
  });
});
