// Links to the partner page (SPEC §12): a token names the partner and an expiry; altered,
// expired, foreign-secret and unsubscribe tokens are refused.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partnerPageUrl, signPartnerPageToken, verifyPartnerPageToken } from '../../workers/http/partner-link.ts';
import { signUnsubscribeToken } from '../../workers/notifier/unsubscribe.ts';

const SECRET = 'partner-page-test-secret';
const NOW = new Date('2026-11-23T10:00:00Z');
const DAY = 86_400_000;

const tokenOf = (url: string): string => decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));

describe('partner page links', () => {
  it('builds `${TIERLINE_PUBLIC_URL}/p/{token}` valid for the given days', () => {
    const url = partnerPageUrl('https://tierline.example.com/', 'P-1042', SECRET, NOW, 30);
    expect(url).toMatch(/^https:\/\/tierline\.example\.com\/p\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyPartnerPageToken(tokenOf(url), SECRET, NOW)).toEqual({
      partnerId: 'P-1042',
      expiresAt: new Date(NOW.getTime() + 30 * DAY),
    });
  });

  it('expires: valid until the instant it ends, refused from then on', () => {
    const token = tokenOf(partnerPageUrl('http://localhost:8080', 'P-1', SECRET, NOW, 1));
    expect(verifyPartnerPageToken(token, SECRET, new Date(NOW.getTime() + DAY - 1000))?.partnerId).toBe('P-1');
    expect(verifyPartnerPageToken(token, SECRET, new Date(NOW.getTime() + DAY))).toBeUndefined();
  });

  it('refuses another secret, an unsubscribe token and malformed input', () => {
    const token = signPartnerPageToken({ partnerId: 'P-1', expiresAt: new Date(NOW.getTime() + DAY) }, SECRET);
    expect(verifyPartnerPageToken(token, 'another-secret', NOW)).toBeUndefined();
    const unsubscribe = signUnsubscribeToken({ partnerId: 'P-1', email: 'a@example.com', kind: '*' }, SECRET);
    expect(verifyPartnerPageToken(unsubscribe, SECRET, NOW)).toBeUndefined();
    for (const bad of ['', '.', 'abc', `${token}.x`, token.replace('.', '.A'), 'x'.repeat(5000)])
      expect(verifyPartnerPageToken(bad, SECRET, NOW)).toBeUndefined();
  });

  it('refuses a link for no partner or a non-positive number of days', () => {
    expect(() => partnerPageUrl('http://localhost:8080', '', SECRET, NOW)).toThrow(/partner id/);
    expect(() => partnerPageUrl('http://localhost:8080', 'P-1', SECRET, NOW, 0)).toThrow(/days/);
  });

  it('refuses a signature altered in the spare bits of its last character', () => {
    const token = signPartnerPageToken({ partnerId: 'P-1', expiresAt: new Date(NOW.getTime() + DAY) }, SECRET);
    const last = token.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBits = alphabet[(alphabet.indexOf(last) & ~3) + ((alphabet.indexOf(last) + 1) & 3)] as string;
    expect(verifyPartnerPageToken(token.slice(0, -1) + sameBits, SECRET, NOW)).toBeUndefined();
  });

  it('property: any altered character of a token is refused; the original verifies', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), fc.nat(), fc.nat(), (partnerId, at, flip) => {
        const url = partnerPageUrl('http://localhost:8080', partnerId, SECRET, NOW, 7);
        const token = tokenOf(url);
        expect(verifyPartnerPageToken(token, SECRET, NOW)?.partnerId).toBe(partnerId);
        const i = at % token.length;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
        const replacement = alphabet[flip % alphabet.length] as string;
        if (replacement === token[i]) return;
        const altered = token.slice(0, i) + replacement + token.slice(i + 1);
        expect(verifyPartnerPageToken(altered, SECRET, NOW)).toBeUndefined();
      }),
    );
  });
});
