// Signed links to a partner's page (SPEC §12, docs/notifications.md#links-to-the-partner-page):
// `GET /p/{token}`, where the token names the partner and an expiry and is signed with
// HMAC-SHA256. `tierline links create ID [--days N]` prints one and every email will carry
// one once `serve` has the page; an expired or altered token gets 404 there.
//
// Format: base64url(JSON {v:1, p, x}) "." base64url(HMAC(secret, "tierline-partner-page.v1." + payload)),
// x = expiry in whole seconds since the epoch. The domain prefix keeps these tokens apart from
// the unsubscribe tokens even under the same secret.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface PartnerPageClaims {
  partnerId: string;
  /** The link stops working at this instant. */
  expiresAt: Date;
}

const DOMAIN = 'tierline-partner-page.v1.';
const MAX_TOKEN_LENGTH = 2048;
const DAY_MS = 86_400_000;
export const DEFAULT_LINK_DAYS = 30;

function mac(secret: string, payload: string): Buffer {
  if (!secret) throw new Error('a partner page secret is required');
  return createHmac('sha256', secret)
    .update(DOMAIN + payload)
    .digest();
}

export function signPartnerPageToken(claims: PartnerPageClaims, secret: string): string {
  if (claims.partnerId === '') throw new Error('a partner id is required');
  const x = Math.floor(claims.expiresAt.getTime() / 1000);
  const payload = Buffer.from(JSON.stringify({ v: 1, p: claims.partnerId, x }), 'utf8').toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The claims of a valid, unexpired token signed with `secret` as of `now`; undefined for anything else. */
export function verifyPartnerPageToken(token: string, secret: string, now: Date): PartnerPageClaims | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 2) return undefined;
  const [payload = '', signature = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(signature)) return undefined;
  // Compared as canonical text: base64url's last character carries spare bits, so decoding
  // would accept a token altered there.
  const expected = Buffer.from(mac(secret, payload).toString('base64url'), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { v, p, x } = claims as Record<string, unknown>;
  if (v !== 1 || typeof p !== 'string' || p === '' || typeof x !== 'number' || !Number.isSafeInteger(x))
    return undefined;
  if (x * 1000 <= now.getTime()) return undefined;
  return { partnerId: p, expiresAt: new Date(x * 1000) };
}

/** `${publicUrl}/p/{token}` for `partnerId`, valid for `days` days from `now`. */
export function partnerPageUrl(
  publicUrl: string,
  partnerId: string,
  secret: string,
  now: Date,
  days = DEFAULT_LINK_DAYS,
): string {
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`a link is valid for a whole number of days ≥ 1, got ${days}`);
  const token = signPartnerPageToken({ partnerId, expiresAt: new Date(now.getTime() + days * DAY_MS) }, secret);
  return `${publicUrl.replace(/\/+$/, '')}/p/${token}`;
}
