// Which lines the bulk path may COPY into inbox.payload as they are: those Postgres reads as
// the same jsonb as the payload the ordinary path re-serialises (JSON.stringify of the parse).
import { describe, expect, it } from 'vitest';
import { sendableAsIs } from '../../db/repositories/inbox-copy.ts';

const cases: Array<[string, string, boolean]> = [
  ['a plain event', '{"id":"crm-1","data":{"version":2,"amount":"12.50"}}', true],
  ['spaces between tokens', '{ "id" : "crm-1", "n" : -3 }', true],
  ['non-ASCII text', '{"name":"Müller ✓ 😀"}', true],
  ['dots and exponents inside strings', '{"amount":"1.5e3","when":"2026-11-23T14:03:11Z"}', true],
  ['15 digits', '{"version":123456789012345}', true],
  ['true, false and null', '{"recurring":true,"x":false,"y":null,"z":[true,1,false]}', true],
  ['a fraction', '{"version":2.0}', false],
  ['an exponent', '{"version":1e2}', false],
  ['an upper-case exponent', '{"version":1E2}', false],
  ['an exponent after a boolean', '{"a":[true,1e2]}', false],
  ['a negative exponent', '{"a":-5e-3}', false],
  ['16 digits', '{"version":1234567890123456}', false],
  ['a backslash escape', '{"name":"a\\"b"}', false],
  ['a tab between tokens', '{"id":\t"crm-1"}', false],
  ['a carriage return at the end', '{"id":"crm-1"}\r', false],
  ['a byte-order mark', '\ufeff{"id":"crm-1"}', false],
  ['not an object', '["crm-1"]', false],
  ['an unterminated string', '{"id":"crm-1}', false],
];

describe('sendableAsIs', () => {
  it.each(cases)('%s', (_name, line, expected) => {
    expect(sendableAsIs(Buffer.from(line, 'utf8'))).toBe(expected);
  });
});
