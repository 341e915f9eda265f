// Webhook signatures (README "HTTP receiver"): a source signs each request body with its
// shared secret, and the receiver refuses anything unsigned, wrongly signed or replayed.
//
//   X-Tierline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
//
// The timestamp is inside the signed text, so it cannot be changed without the secret, and
// a captured request stops working after TOLERANCE_SECONDS. Several v1= entries may be sent
// (e.g. while a sender rotates its secret); one matching is enough.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-tierline-signature';

/** How far the signed timestamp may be from the receiver's clock, either way. */
export const TOLERANCE_SECONDS = 5 * 60;

const MAX_SIGNATURES = 8;

function mac(secret: string, rawBody: string | Uint8Array, timestamp: number): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/**
 * The header value for a body: `t=<timestamp>,v1=<hex>`. `rawBody` must be the exact bytes
 * sent (a string is hashed as UTF-8); `timestamp` is in unix seconds.
 */
export function signBody(
  secret: string,
  rawBody: string | Uint8Array,
  timestamp: number = Math.floor(Date.now() / 1000),
): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new RangeError(`timestamp must be whole unix seconds, got ${timestamp}`);
  return `t=${timestamp},v1=${mac(secret, rawBody, timestamp).toString('hex')}`;
}

export interface ParsedSignature {
  timestamp: number;
  /** Each v1 signature, decoded (32 bytes each). */
  signatures: Buffer[];
}

export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';

export type HeaderResult =
  { ok: true; value: ParsedSignature } | { ok: false; failure: SignatureFailure; reason: string };

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** Parses the header without trusting it; unknown keys (future schemes) are ignored. */
export function parseSignatureHeader(header: string | string[] | undefined): HeaderResult {
  if (header === undefined || header === '')
    return { ok: false, failure: 'missing', reason: 'no X-Tierline-Signature header' };
  if (Array.isArray(header) || header.length > 1_024)
    return { ok: false, failure: 'malformed', reason: 'malformed X-Tierline-Signature header' };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, failure: 'malformed', reason: 'malformed X-Tierline-Signature header' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value))
        return {
          ok: false,
          failure: 'malformed',
          reason: 'malformed X-Tierline-Signature header (t= must be unix seconds, once)',
        };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value) || signatures.length >= MAX_SIGNATURES)
        return {
          ok: false,
          failure: 'malformed',
          reason: 'malformed X-Tierline-Signature header (v1= must be 64 hex digits)',
        };
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0)
    return { ok: false, failure: 'malformed', reason: 'malformed X-Tierline-Signature header (needs t= and v1=)' };
  return { ok: true, value: { timestamp, signatures } };
}

/** The header's timestamp is within the tolerance of `nowSeconds`. */
export function checkFreshness(
  parsed: ParsedSignature,
  nowSeconds: number,
  toleranceSeconds = TOLERANCE_SECONDS,
): HeaderResult {
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) {
    return {
      ok: false,
      failure: 'stale',
      reason: `signature timestamp is more than ${toleranceSeconds} s from the receiver's clock`,
    };
  }
  return { ok: true, value: parsed };
}

/** Constant-time comparison of every v1 signature against the expected one. */
export function matchesBody(secret: string, rawBody: string | Uint8Array, parsed: ParsedSignature): boolean {
  const expected = mac(secret, rawBody, parsed.timestamp);
  let ok = false;
  // No early exit: the time taken does not depend on which entry matched.
  for (const candidate of parsed.signatures) ok = timingSafeEqual(expected, candidate) || ok;
  return ok;
}

/** The whole check: header present and well formed, fresh, and matching the body. */
export function verifySignature(
  secret: string,
  rawBody: string | Uint8Array,
  header: string | string[] | undefined,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds = TOLERANCE_SECONDS,
): { ok: true } | { ok: false; failure: SignatureFailure; reason: string } {
  const parsed = parseSignatureHeader(header);
  if (!parsed.ok) return parsed;
  const fresh = checkFreshness(parsed.value, nowSeconds, toleranceSeconds);
  if (!fresh.ok) return fresh;
  if (!matchesBody(secret, rawBody, parsed.value))
    return { ok: false, failure: 'mismatch', reason: 'signature does not match the body' };
  return { ok: true };
}
