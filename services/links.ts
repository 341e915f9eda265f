// Signed partner-page links (SPEC §12): a token names a partner and the last day it opens
// the page, signed with HMAC-SHA256 under TIERLINE_LINK_SECRET. Pure apart from the HMAC:
// "today" is an argument, so the workers' clock (and TIERLINE_TODAY) decides expiry.
//
// Format: base64url(JSON {v:1, p, x}) "." base64url(HMAC(secret, "tierline-partner-page.v1." + payload)).
// The signature is checked before anything in the payload is read, and with timingSafeEqual;
// a tampered, foreign, malformed or expired token all come back as undefined alike.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface PartnerLinkClaims {
  partnerId: string;
  /** Last day (YYYY-MM-DD, program timezone) the link opens the page. */
  expiresOn: string;
}

const DOMAIN = 'tierline-partner-page.v1.';
const MAX_TOKEN_LENGTH = 2048;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function mac(secret: string, payload: string): Buffer {
  if (!secret) throw new Error('a partner-link secret is required');
  return createHmac('sha256', secret)
    .update(DOMAIN + payload)
    .digest();
}

export function signPartnerToken(claims: PartnerLinkClaims, secret: string): string {
  if (!DAY.test(claims.expiresOn)) throw new Error(`expiresOn must be YYYY-MM-DD, got ${claims.expiresOn}`);
  const payload = Buffer.from(JSON.stringify({ v: 1, p: claims.partnerId, x: claims.expiresOn }), 'utf8').toString(
    'base64url',
  );
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The claims of a token signed with `secret` that has not expired on `today` (YYYY-MM-DD), else undefined. */
export function verifyPartnerToken(token: unknown, secret: string, today: string): PartnerLinkClaims | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  const [payload = '', signature = ''] = parts;
  // Always one HMAC, whatever is wrong with the token: refusals cost the same.
  const expected = mac(secret, payload);
  const given = BASE64URL.test(signature) ? Buffer.from(signature, 'base64url') : Buffer.alloc(0);
  // Always one comparison too: a signature of the wrong length is compared as zeros.
  const sameLength = given.length === expected.length;
  const equal = timingSafeEqual(sameLength ? given : Buffer.alloc(expected.length), expected);
  const signed = sameLength && equal;
  if (!signed || parts.length !== 2 || !BASE64URL.test(payload)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { v, p, x } = claims as Record<string, unknown>;
  if (v !== 1 || typeof p !== 'string' || p === '' || typeof x !== 'string' || !DAY.test(x)) return undefined;
  if (x < today) return undefined;
  return { partnerId: p, expiresOn: x };
}

/** The partner page of a token: `${publicUrl}/p/${token}`. */
export function partnerPageUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/p/${encodeURIComponent(token)}`;
}
