// Issue 8 part 3: every secret comparison goes through crypto.timingSafeEqual, whose time
// does not depend on where the inputs differ: webhook signatures (every v1 entry, no early
// exit), admin and metrics tokens (hashed first, so lengths do not leak either) and unsubscribe
// tokens. Counted by wrapping node:crypto's timingSafeEqual; timing itself is not measured
// (a shared machine's noise would make such a test flaky).
import type * as Crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ n: 0 }));

vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof Crypto>();
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean => {
    calls.n++;
    return crypto.timingSafeEqual(a, b);
  };
  return { ...crypto, default: { ...crypto, timingSafeEqual }, timingSafeEqual };
});

const { matchesBody, parseSignatureHeader, signBody, verifySignature } =
  await import('../../workers/http/signature.ts');
const { bearerMatches, sameSecret } = await import('../../workers/metrics.ts');
const { signUnsubscribeToken, verifyUnsubscribeToken } = await import('../../workers/notifier/unsubscribe.ts');

const SECRET = 'constant-time-secret-0123456789abcdef';
const body = '{"id":"e-1"}';

describe('secrets are compared in constant time', () => {
  beforeEach(() => {
    calls.n = 0;
  });

  it('checks every v1 signature of a header, even after one matched', () => {
    const t = 1_800_000_000;
    const good = signBody(SECRET, body, t).split('v1=')[1] as string;
    const header = `t=${t},v1=${good},v1=${'0'.repeat(64)},v1=${'f'.repeat(64)}`;
    const parsed = parseSignatureHeader(header);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(matchesBody(SECRET, body, parsed.value)).toBe(true);
    expect(calls.n).toBe(3);
    calls.n = 0;
    expect(verifySignature(SECRET, `${body} `, header, t).ok).toBe(false);
    expect(calls.n).toBe(3);
  });

  it('compares tokens as hashes, whatever their lengths', () => {
    expect(sameSecret('short', SECRET)).toBe(false);
    expect(sameSecret(SECRET, SECRET)).toBe(true);
    expect(bearerMatches(`Bearer ${SECRET}x`, [SECRET])).toBe(false);
    expect(calls.n).toBe(3);
  });

  it('verifies unsubscribe tokens with timingSafeEqual', () => {
    const token = signUnsubscribeToken({ partnerId: 'P-1', email: 'a@example.com', kind: 'tier.promoted' }, SECRET);
    expect(verifyUnsubscribeToken(token, SECRET)?.partnerId).toBe('P-1');
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(verifyUnsubscribeToken(tampered, SECRET)).toBeUndefined();
    expect(calls.n).toBe(2);
  });
});
