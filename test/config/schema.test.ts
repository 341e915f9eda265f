// The environment schema (config/env.ts): defaults, empty = unset, one line naming each bad
// variable (never echoing a secret), the readers elsewhere delegating to it, and the
// long-running commands refusing a bad value before they touch any service.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_NAMES, readEnv, readVariable } from '../../config/env.ts';
import { databaseUrl } from '../../config/urls.ts';
import { queueSettings } from '../../queues/connection.ts';
import { today } from '../../workers/clock.ts';
import { adminTokenFromEnv } from '../../workers/http/dashboard.ts';
import { HttpConfigError, bodyLimitFromEnv, secretsFromEnv } from '../../workers/http/config.ts';
import { metricsTokensFromEnv } from '../../workers/metrics.ts';
import { NotifierConfigError, notifierConfigFromEnv } from '../../workers/notifier/config.ts';
import { formatDay } from '../../domain/dates.ts';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

describe('environment schema', () => {
  it('gives every variable its default when unset, and reads an empty or blank value as unset', () => {
    const defaults = readEnv({});
    expect(readEnv(Object.fromEntries(ENV_NAMES.map((n) => [n, '']))), 'all empty').toEqual(defaults);
    expect(readEnv(Object.fromEntries(ENV_NAMES.map((n) => [n, '  ']))), 'all blank').toEqual(defaults);
    expect(defaults).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tierline',
      LOG_LEVEL: 'info',
      PORT: 8080,
      TIERLINE_QUEUE_PREFIX: '{tierline}',
      REDIS_CLUSTER: false,
    });
  });

  it('fixes the reconciler reading an empty TIERLINE_RECONCILE_EVERY_MS as 0 (every millisecond)', () => {
    expect(readVariable('TIERLINE_RECONCILE_EVERY_MS', { TIERLINE_RECONCILE_EVERY_MS: '' })).toBe(30_000);
    expect(() => readVariable('TIERLINE_RECONCILE_EVERY_MS', { TIERLINE_RECONCILE_EVERY_MS: '0' })).toThrow(
      /^TIERLINE_RECONCILE_EVERY_MS is not valid/,
    );
  });

  it('coerces numbers, flags, URLs and addresses', () => {
    const env = readEnv({
      PORT: '9090',
      REDIS_CLUSTER: 'true',
      TIERLINE_MAIL_PER_SECOND: '2.5',
      TIERLINE_PUBLIC_URL: 'https://tiers.example.com/',
      TIERLINE_MAIL_FROM: ' Tiers@Example.COM ',
      TIERLINE_NIGHTLY_TZ: 'Europe/Berlin',
      TIERLINE_NIGHTLY_CRON: '*/15 6 * * MON-FRI',
    });
    expect(env).toMatchObject({
      PORT: 9090,
      REDIS_CLUSTER: true,
      TIERLINE_MAIL_PER_SECOND: 2.5,
      TIERLINE_PUBLIC_URL: 'https://tiers.example.com',
      TIERLINE_MAIL_FROM: 'tiers@example.com',
      TIERLINE_NIGHTLY_TZ: 'Europe/Berlin',
      TIERLINE_NIGHTLY_CRON: '*/15 6 * * MON-FRI',
    });
    // Six fields: seconds first, as BullMQ reads them.
    expect(readVariable('TIERLINE_NIGHTLY_CRON', { TIERLINE_NIGHTLY_CRON: '30 0 2 * * *' })).toBe('30 0 2 * * *');
  });

  it.each([
    ['DATABASE_URL', 'mysql://db/x', /expected a postgres:\/\/ URL/],
    ['REDIS_URL', 'localhost:6379', /expected a redis:\/\/ or rediss:\/\/ URL/],
    ['REDIS_CLUSTER', 'yes', /expected 1, true, 0 or false/],
    ['TIERLINE_TODAY', '2026-02-30', /expected a date YYYY-MM-DD/],
    ['TIERLINE_NIGHTLY_CRON', 'every night', /cron expression/],
    // Refused by the parser BullMQ schedules with, though shaped like a cron line.
    ['TIERLINE_NIGHTLY_CRON', '61 2 * * *', /cron expression.*expected range 0-59/],
    ['TIERLINE_NIGHTLY_CRON', '0 2 31 2 *', /cron expression.*day of month/],
    ['TIERLINE_NIGHTLY_CRON', '0 2 * *', /cron expression of 5 or 6 fields/],
    ['TIERLINE_NIGHTLY_TZ', 'Mars/Olympus', /IANA time zone/],
    ['TIERLINE_SHUTDOWN_TIMEOUT_MS', '5s', /whole number/],
    ['PORT', '70000', /0-65535/],
    ['TIERLINE_METRICS_PORT', 'http', /0-65535/],
    ['TIERLINE_HTTP_BODY_LIMIT', '0', /≥ 1/],
    ['SMTP_URL', 'http://mail', /smtp:\/\//],
    ['TIERLINE_PUBLIC_URL', 'javascript:alert(1)', /http:\/\/ or https:\/\//],
    ['TIERLINE_MAIL_FROM', 'nobody', /email address/],
    ['TIERLINE_MAIL_PER_SECOND', '-1', /positive number/],
    ['LOG_LEVEL', 'loud', /one of fatal, error, warn, info, debug, trace, silent/],
  ] as const)('refuses %s=%s in one line naming it', (name, value, why) => {
    let error: unknown;
    try {
      readVariable(name, { [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.startsWith(`${name} is not valid (`)).toBe(true);
    expect(message).toMatch(why);
    expect(message).not.toContain('\n');
  });

  it('names every bad variable at once, hides secrets and URL passwords', () => {
    expect(() => readEnv({ LOG_LEVEL: 'loud', PORT: 'x', DATABASE_URL: 'mysql://u:hunter2@db/x' })).toThrow(
      'DATABASE_URL is not valid (expected a postgres:// URL): mysql://u:***@db/x; PORT is not valid (expected a whole number 0-65535): x; LOG_LEVEL is not valid',
    );
    expect(() => readEnv({ SMTP_URL: 'http://u:hunter2@mail' })).toThrow(/http:\/\/u:\*\*\*@mail$/);
  });
});

describe('readers delegate to the schema, keeping their signatures', () => {
  it('databaseUrl, queueSettings, today', () => {
    expect(databaseUrl({ DATABASE_URL: ' ' })).toBe('postgres://postgres@127.0.0.1:5432/tierline');
    expect(queueSettings({ TIERLINE_QUEUE_PREFIX: '', REDIS_CLUSTER: '1' })).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: '{tierline}',
      cluster: true,
      ack: { replicas: 1, timeoutMs: 2_000 },
    });
    expect(queueSettings({}).ack).toEqual({ replicas: 0, timeoutMs: 2_000 });
    expect(queueSettings({ REDIS_CLUSTER: '1', REDIS_ACK_REPLICAS: '0' }).ack?.replicas).toBe(0);
    expect(queueSettings({ REDIS_ACK_REPLICAS: '1', REDIS_ACK_TIMEOUT_MS: '500' }).ack).toEqual({
      replicas: 1,
      timeoutMs: 500,
    });
    expect(() => queueSettings({ REDIS_ACK_REPLICAS: '-1' })).toThrow(/^REDIS_ACK_REPLICAS is not valid/);
    expect(() => queueSettings({ REDIS_CLUSTER: 'on' })).toThrow(/^REDIS_CLUSTER is not valid/);
    expect(formatDay(today('UTC', { TIERLINE_TODAY: '2026-11-23' }))).toBe('2026-11-23');
    expect(() => today('UTC', { TIERLINE_TODAY: '23/11/2026' })).toThrow(/^TIERLINE_TODAY is not valid/);
  });

  it('the receiver: secrets, tokens and the body limit', () => {
    expect(secretsFromEnv({ TIERLINE_SECRET_CRM: ' s1 ', TIERLINE_SECRET_LMS: '' })).toEqual({ crm: 's1' });
    expect(adminTokenFromEnv({ TIERLINE_ADMIN_TOKEN: '  ' })).toBeUndefined();
    expect(metricsTokensFromEnv({ TIERLINE_METRICS_TOKEN: 'm', TIERLINE_ADMIN_TOKEN: 'a' })).toEqual(['m', 'a']);
    expect(bodyLimitFromEnv({})).toBe(10 * 1024 * 1024);
    expect(() => bodyLimitFromEnv({ TIERLINE_HTTP_BODY_LIMIT: '10MB' })).toThrow(HttpConfigError);
    expect(() => bodyLimitFromEnv({ TIERLINE_HTTP_BODY_LIMIT: '10MB' })).toThrow(
      /^TIERLINE_HTTP_BODY_LIMIT is not valid/,
    );
  });

  it('the notifier keeps its cross-variable rules', () => {
    expect(() => notifierConfigFromEnv({ TIERLINE_MAIL_BATCH: '0' })).toThrow(NotifierConfigError);
    expect(() => notifierConfigFromEnv({ SMTP_URL: 'smtp://127.0.0.1:25' })).toThrow(
      /TIERLINE_UNSUBSCRIBE_SECRET must be set/,
    );
    expect(() => notifierConfigFromEnv({ TIERLINE_SMTP_TIMEOUT_MS: '200000' })).toThrow(/more than three times/);
  });
});

describe.concurrent('start-up', () => {
  // Each command checks the whole environment before it opens a connection: the services
  // named here do not exist, and the command must not get as far as trying them.
  const nowhere = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' };
  it.each([
    ['workers', ['workers'], { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['serve', ['serve'], { TIERLINE_HTTP_BODY_LIMIT: '10MB' }, 'TIERLINE_HTTP_BODY_LIMIT'],
    ['demo', ['demo', '--duration', '1s'], { TIERLINE_TODAY: 'tomorrow' }, 'TIERLINE_TODAY'],
  ] as const)('`tierline %s` stops with exit 1 and one line naming the variable', async (_label, args, env, name) => {
    const failure = await run(process.execPath, ['bin/tierline.js', ...args], {
      cwd: root,
      env: { ...process.env, ...nowhere, ...env },
      timeout: 30_000,
    }).then(
      () => undefined,
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toMatch(new RegExp(`^tierline: ${name} is not valid \\(.+\\): .+\\n$`));
  });
});
