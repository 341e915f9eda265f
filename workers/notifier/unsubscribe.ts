// Signed unsubscribe tokens (issue 5): each email carries a link and a List-Unsubscribe
// header (RFC 2369, one-click per RFC 8058) whose token names the partner, the contact and
// the kind of email, signed with HMAC-SHA256 under TIERLINE_UNSUBSCRIBE_SECRET. The HTTP
// receiver serves GET/POST /unsubscribe?token=..., verifies the token with
// verifyUnsubscribeToken and records the opt-out with recordOptOut (services/notifications/opt-out.ts).
//
// Format: base64url(JSON {v:1, p, e, k}) "." base64url(HMAC(secret, "tierline-unsubscribe.v1." + payload)).
// Tokens do not expire: an unsubscribe link must keep working in an old email.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotificationKind } from '../../domain/alerts.ts';
import { NOTIFICATION_KINDS } from '../../email/content.ts';

export interface UnsubscribeClaims {
  partnerId: string;
  /** Lower-case. */
  email: string;
  /** The kind of email to stop, or '*' for all of them. */
  kind: NotificationKind | '*';
}

const DOMAIN = 'tierline-unsubscribe.v1.';
const MAX_TOKEN_LENGTH = 4096;

function mac(secret: string, payload: string): Buffer {
  if (!secret) throw new Error('an unsubscribe secret is required');
  return createHmac('sha256', secret)
    .update(DOMAIN + payload)
    .digest();
}

export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string): string {
  const payload = Buffer.from(
    JSON.stringify({ v: 1, p: claims.partnerId, e: claims.email.toLowerCase(), k: claims.kind }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

const isKind = (k: unknown): k is UnsubscribeClaims['kind'] =>
  k === '*' || (NOTIFICATION_KINDS as readonly unknown[]).includes(k);

/** The claims of a token signed with `secret`, or undefined for anything else (tampered, malformed, another secret). */
export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeClaims | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 2) return undefined;
  const [payload = '', signature = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(signature)) return undefined;
  const expected = mac(secret, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { v, p, e, k } = claims as Record<string, unknown>;
  if (v !== 1 || typeof p !== 'string' || typeof e !== 'string' || !isKind(k)) return undefined;
  return { partnerId: p, email: e, kind: k };
}

/** The page that records the opt-out: `${publicUrl}/unsubscribe?token=...`. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/unsubscribe?token=${encodeURIComponent(token)}`;
}
