// The kinds of value an environment variable holds, as zod schemas taking the raw string:
// each refuses a bad value with the message the one-line ConfigError quotes.
import parser from 'cron-parser';
import { z } from 'zod';
import { parseDay } from '../domain/dates.ts';
import { normaliseAddress } from '../email/safety.ts';
import { errorMessage } from '../lib/errors.ts';

export const text = () => z.string();

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `a whole number ≥ ${min}` : `a whole number ${min}-${max}`;
  return z
    .string()
    .regex(/^\d+$/, { error: `expected ${range}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `expected ${range}` })
        .max(max, { error: `expected ${range}` }),
    );
}

export const port = () => integer(0, 65_535);

export function positiveNumber() {
  return z
    .string()
    .regex(/^\d+(\.\d+)?$/, { error: 'expected a positive number' })
    .transform(Number)
    .pipe(z.number().positive({ error: 'expected a positive number' }));
}

export function flag() {
  return z
    .enum(['1', 'true', '0', 'false'], { error: 'expected 1, true, 0 or false' })
    .transform((v) => v === '1' || v === 'true');
}

export const urlOf = (protocol: RegExp, expected: string) => z.url({ protocol, error: `expected ${expected}` });

/**
 * One redis:// or rediss:// URL, or several separated by commas (the seed nodes of a Redis
 * Cluster, e.g. `redis://h1:7000,redis://h2:7001`): each item a whole URL, so a missing
 * scheme or port is named by its position.
 */
export function redisUrls() {
  const one = urlOf(/^rediss?$/, 'a redis:// or rediss:// URL');
  return z.string().transform((raw, ctx) => {
    const items = raw.split(',').map((item) => item.trim());
    items.forEach((item, i) => {
      if (!one.safeParse(item).success)
        ctx.addIssue({
          code: 'custom',
          message:
            items.length === 1
              ? 'expected a redis:// or rediss:// URL'
              : `item ${i + 1} of ${items.length} is not a redis:// or rediss:// URL ` +
                '(several seed nodes are written redis://h1:7000,redis://h2:7001)',
        });
    });
    return items.join(',');
  });
}

export function httpUrl() {
  return urlOf(/^https?$/, 'an http:// or https:// URL').transform((raw) =>
    new URL(raw).toString().replace(/\/+$/, ''),
  );
}

export function day() {
  return z.string().refine((v) => parseDay(v) !== undefined, { error: 'expected a date YYYY-MM-DD' });
}

const CRON_EXPECTED = 'expected a cron expression of 5 or 6 fields, e.g. "0 2 * * *"';

/** Five fields (minute hour day month weekday), or six with seconds first, checked by the parser BullMQ schedules with. */
export function cron() {
  return z.string().superRefine((value, ctx) => {
    const fields = value.trim().split(/\s+/).length;
    // cron-parser also takes fewer fields (filling in the rest): refuse them, a 4-field line is a typo.
    if (fields < 5 || fields > 6) {
      ctx.addIssue({ code: 'custom', message: CRON_EXPECTED });
      return;
    }
    try {
      parser.parseExpression(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `${CRON_EXPECTED}: ${errorMessage(error)}`,
      });
    }
  });
}

export function timeZone() {
  return z.string().refine(
    (zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'expected an IANA time zone, e.g. Europe/Berlin' },
  );
}

export function emailAddress() {
  return z.string().transform((raw, ctx) => {
    const address = normaliseAddress(raw);
    if (address === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected an email address' });
      return z.NEVER;
    }
    return address;
  });
}
