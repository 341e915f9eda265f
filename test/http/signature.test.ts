// Webhook signatures, without services: signing, verifying, and every way a header can be wrong.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TOLERANCE_SECONDS, parseSignatureHeader, signBody, verifySignature } from '../../workers/http/signature.ts';

const secret = 'whsec_test_0123456789abcdef';
const body = '{"id":"crm-1","source":"crm","type":"deal.upserted"}';
const t = 1_790_000_000;

describe('signBody', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signBody(secret, body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('signs strings as UTF-8 bytes, the same as the Buffer of the body', () => {
    const text = '{"name":"Zoë — ☃"}';
    expect(signBody(secret, text, t)).toBe(signBody(secret, Buffer.from(text, 'utf8'), t));
  });

  it('refuses a timestamp that is not whole unix seconds', () => {
    expect(() => signBody(secret, body, 1.5)).toThrow(RangeError);
    expect(() => signBody(secret, body, -1)).toThrow(RangeError);
  });
});

describe('verifySignature', () => {
  it('accepts its own signature, within the tolerance either way', () => {
    const header = signBody(secret, body, t);
    expect(verifySignature(secret, body, header, t)).toEqual({ ok: true });
    expect(verifySignature(secret, Buffer.from(body), header, t + TOLERANCE_SECONDS)).toEqual({ ok: true });
    expect(verifySignature(secret, body, header, t - TOLERANCE_SECONDS)).toEqual({ ok: true });
  });

  it('refuses another secret', () => {
    const header = signBody('another-secret-entirely', body, t);
    expect(verifySignature(secret, body, header, t)).toMatchObject({ ok: false, failure: 'mismatch' });
  });

  it('refuses a tampered body, down to one byte or trailing whitespace', () => {
    const header = signBody(secret, body, t);
    expect(verifySignature(secret, body.replace('crm-1', 'crm-2'), header, t)).toMatchObject({
      ok: false,
      failure: 'mismatch',
    });
    expect(verifySignature(secret, `${body}\n`, header, t)).toMatchObject({ ok: false, failure: 'mismatch' });
  });

  it('refuses a timestamp changed without re-signing', () => {
    const header = signBody(secret, body, t).replace(`t=${t}`, `t=${t + 1}`);
    expect(verifySignature(secret, body, header, t)).toMatchObject({ ok: false, failure: 'mismatch' });
  });

  it('refuses a stale or future timestamp (replay protection)', () => {
    const header = signBody(secret, body, t);
    expect(verifySignature(secret, body, header, t + TOLERANCE_SECONDS + 1)).toMatchObject({
      ok: false,
      failure: 'stale',
    });
    expect(verifySignature(secret, body, header, t - TOLERANCE_SECONDS - 1)).toMatchObject({
      ok: false,
      failure: 'stale',
    });
  });

  it('accepts any one matching v1 among several (secret rotation on the sender side)', () => {
    const good = signBody(secret, body, t).split(',v1=')[1];
    const bad = signBody('old-secret-xxxxxxxxxxxx', body, t).split(',v1=')[1];
    expect(verifySignature(secret, body, `t=${t},v1=${bad},v1=${good}`, t)).toEqual({ ok: true });
    expect(verifySignature(secret, body, `t=${t},v1=${bad},v1=${bad}`, t)).toMatchObject({
      ok: false,
      failure: 'mismatch',
    });
  });

  it('tolerates spaces around parts and ignores unknown schemes', () => {
    const v1 = signBody(secret, body, t).split(',v1=')[1];
    expect(verifySignature(secret, body, ` t=${t} , v0=abc, v1=${v1} `, t)).toEqual({ ok: true });
  });

  it('refuses a missing header', () => {
    expect(verifySignature(secret, body, undefined, t)).toMatchObject({ ok: false, failure: 'missing' });
    expect(verifySignature(secret, body, '', t)).toMatchObject({ ok: false, failure: 'missing' });
  });

  const v1 = 'a'.repeat(64);
  it.each([
    ['no t', `v1=${v1}`],
    ['no v1', `t=${t}`],
    ['t twice', `t=${t},t=${t},v1=${v1}`],
    ['t not a number', `t=soon,v1=${v1}`],
    ['t negative', `t=-5,v1=${v1}`],
    ['t in milliseconds-plus', `t=${'9'.repeat(13)},v1=${v1}`],
    ['t fractional', `t=${t}.5,v1=${v1}`],
    ['v1 too short', `t=${t},v1=abcd`],
    ['v1 not hex', `t=${t},v1=${'z'.repeat(64)}`],
    ['v1 too long', `t=${t},v1=${v1}00`],
    ['no =', `t${t},v1${v1}`],
    ['a bare signature', v1],
    ['too many v1', `t=${t},${Array.from({ length: 9 }, () => `v1=${v1}`).join(',')}`],
    ['huge', `t=${t},v1=${v1},x=${'x'.repeat(2_000)}`],
  ])('refuses a malformed header (%s)', (_name, header) => {
    expect(parseSignatureHeader(header)).toMatchObject({ ok: false, failure: 'malformed' });
    expect(verifySignature(secret, body, header, t)).toMatchObject({ ok: false, failure: 'malformed' });
  });

  it('refuses a header sent twice', () => {
    const header = signBody(secret, body, t);
    expect(parseSignatureHeader([header, header])).toMatchObject({ ok: false, failure: 'malformed' });
  });
});
