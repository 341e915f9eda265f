// Logs never carry email addresses: redacted fields, and email-shaped text anywhere else.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskEmails } from '../../workers/logger.ts';

describe('email masking', () => {
  it('masks email-shaped text in nested strings and arrays, leaving the rest', () => {
    expect(
      maskEmails({
        err: '550 5.1.1 <bob@example.com>: rejected',
        n: 3,
        list: ['a@b.co', 'P-1'],
        deep: { x: 'c.d+e@x.org' },
      }),
    ).toEqual({
      err: '550 5.1.1 <[email]>: rejected',
      n: 3,
      list: ['[email]', 'P-1'],
      deep: { x: '[email]' },
    });
  });

  it('keeps class instances (requests, errors) whole for their serializers', () => {
    const error = new Error('x@y.com');
    expect(maskEmails({ error }).error).toBe(error);
  });

  it('the project logger writes no address, in fields or in the message', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _e, done) => {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger('test', 'info', sink);
    log.warn(
      { partnerId: 'P-1', reply: 'refused ana@example.com', contact: { email: 'ana@example.com' } },
      'mail to ana@example.com failed',
    );
    expect(lines.join('')).not.toContain('ana@example.com');
    expect(lines.join('')).toContain('P-1');
  });
});
