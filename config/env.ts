// Every environment variable Tierline reads, in one zod schema: its type, default, the
// check that refuses a bad value and the text of README's configuration table (written
// by `npm run docs:config`). The readers elsewhere (databaseUrl, queueSettings,
// notifierConfigFromEnv, ...) keep their signatures and take their values from here, and
// the long-running commands check the whole environment at start-up, so a bad value fails
// at once, in one line naming the variable, not mid-job.
//
// config/ sits below db/, queues/ and workers/ and imports none of them: only zod, the
// value kinds (./kinds.ts) and pure helpers from domain/ and email/.
import { z } from 'zod';
import {
  cron,
  day,
  emailAddress,
  flag,
  httpUrl,
  integer,
  port,
  positiveNumber,
  redisUrls,
  text,
  timeZone,
  urlOf,
} from './kinds.ts';
import { headerText } from '../email/safety.ts';

/** A variable holds a value its reader refuses; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

export const ENV_GROUPS = [
  'services',
  'queues and schedules',
  'receiver (serve)',
  'worker metrics',
  'notifications',
  'logs, debugging and tests',
] as const;
export type EnvGroup = (typeof ENV_GROUPS)[number];

export interface EnvDoc {
  group: EnvGroup;
  /** What a value must look like, for the README table. */
  accepts: string;
  /** The default as the README shows it, when the schema's default is not self-explanatory. */
  shownDefault?: string;
  /** Never echoed in an error message. */
  secret?: boolean;
  /** A URL whose password is hidden in error messages. */
  url?: boolean;
}

/** The README table's columns besides the description (`.describe()`), per variable schema. */
export const ENV_DOCS = z.registry<EnvDoc>();

/** Hides a password so URLs can be echoed in error messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/g, '//$1:***@');
}

// An empty value counts as unset: compose files and CI often export `VAR=`.
const blankIsUnset = (value: unknown): unknown => (typeof value === 'string' ? value.trim() || undefined : value);

function variable<T extends z.ZodType>(inner: T, description: string, doc: EnvDoc) {
  const schema = z.preprocess(blankIsUnset, inner).describe(description);
  ENV_DOCS.add(schema, doc);
  return schema;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const secret = (description: string, group: EnvGroup) =>
  variable(text().optional(), description, { group, accepts: 'text', shownDefault: 'unset', secret: true });

const SHAPE = {
  // services
  DATABASE_URL: variable(
    urlOf(/^postgres(ql)?$/, 'a postgres:// URL').default('postgres://postgres@127.0.0.1:5432/tierline'),
    'the system of record (`migrate` creates the database)',
    {
      group: 'services',
      accepts: '`postgres://` URL',
      url: true,
    },
  ),
  REDIS_URL: variable(
    redisUrls().default('redis://127.0.0.1:6379'),
    'the queues; start-up refuses a Redis whose `maxmemory-policy` is not `noeviction`. ' +
      'With `REDIS_CLUSTER=1`, several seed nodes separated by commas, each a whole URL ' +
      '(`redis://h1:7000,redis://h2:7001`): a process starts while any one of them answers',
    {
      group: 'services',
      accepts: '`redis://` or `rediss://` URL; several, comma-separated, with `REDIS_CLUSTER=1`',
      url: true,
    },
  ),
  REDIS_CLUSTER: variable(flag().default(false), '`REDIS_URL` names seed nodes of a Redis Cluster', {
    group: 'services',
    accepts: '`1`/`true`, `0`/`false`',
    shownDefault: 'unset (off)',
  }),
  REDIS_ACK_REPLICAS: variable(
    integer(0, 16).optional(),
    'replicas that must hold accepted events before `serve`, `ingest` and the connectors acknowledge them ' +
      "(Redis `WAIT` on the queues' master after each enqueue): with 1, a failover loses no acknowledged " +
      'event; when fewer answer in time the events are refused (503, or the command fails) and the sender ' +
      'resends them, which is harmless. On a cluster, a master its slot map lists without replicas is not waited on',
    {
      group: 'services',
      accepts: 'integer 0–16',
      shownDefault: '1 with `REDIS_CLUSTER=1`, else 0 (acknowledged once the master has them)',
    },
  ),
  REDIS_ACK_TIMEOUT_MS: variable(
    integer(1).default(2_000),
    'how long an acknowledgement waits for `REDIS_ACK_REPLICAS` replicas before refusing the events',
    { group: 'services', accepts: 'milliseconds ≥ 1' },
  ),
  TIERLINE_TODAY: variable(day().optional(), 'pins "today" for demos, tests and replays of a past day', {
    group: 'services',
    accepts: 'YYYY-MM-DD',
    shownDefault: 'unset (the current day in the program timezone)',
  }),
  TIERLINE_START_TIMEOUT_MS: variable(
    integer(1).default(60_000),
    '`workers` exits 1 if its queue workers are not connected within this time (a start during a ' +
      'Redis Cluster failover could otherwise wait for ever): a supervisor starts it again',
    { group: 'services', accepts: 'milliseconds ≥ 1' },
  ),
  TIERLINE_SHUTDOWN_TIMEOUT_MS: variable(
    integer(0).default(30_000),
    'how long `workers` and `serve` let running jobs and requests finish on SIGTERM/SIGINT before handing them back',
    {
      group: 'services',
      accepts: 'milliseconds ≥ 0',
    },
  ),

  // queues and schedules
  TIERLINE_QUEUE_PREFIX: variable(
    z.string().regex(/^\S+$/, { error: 'expected a prefix without spaces' }).default('{tierline}'),
    'queue key prefix; the braces are a Redis Cluster hash tag',
    {
      group: 'queues and schedules',
      accepts: 'text without spaces',
    },
  ),
  TIERLINE_NIGHTLY_CRON: variable(cron().default('0 2 * * *'), 'when the nightly recompute of every partner fires', {
    group: 'queues and schedules',
    accepts: 'cron, 5 or 6 fields',
  }),
  TIERLINE_NIGHTLY_TZ: variable(timeZone().optional(), 'the time zone of `TIERLINE_NIGHTLY_CRON`', {
    group: 'queues and schedules',
    accepts: 'IANA time zone',
    shownDefault: "the program's timezone",
  }),
  TIERLINE_RECONCILE_EVERY_MS: variable(
    integer(1).default(30_000),
    'how often owed recomputes older than a minute are re-enqueued',
    { group: 'queues and schedules', accepts: 'milliseconds ≥ 1' },
  ),

  // receiver (serve)
  PORT: variable(port().default(8080), '`serve` listens on this port (`--port` wins)', {
    group: 'receiver (serve)',
    accepts: 'port 0-65535',
  }),
  HOST: variable(text().default('127.0.0.1'), '`serve` listens on this address (`--host` wins)', {
    group: 'receiver (serve)',
    accepts: 'address',
  }),
  TIERLINE_HTTP_BODY_LIMIT: variable(
    integer(1).default(10 * 1024 * 1024),
    'largest request body `serve` accepts (413 beyond)',
    { group: 'receiver (serve)', accepts: 'bytes ≥ 1', shownDefault: '`10485760` (10 MiB)' },
  ),
  TIERLINE_SECRET_CRM: secret(
    'webhook secret of the CRM source; unset: `/events/crm` refuses every request',
    'receiver (serve)',
  ),
  TIERLINE_SECRET_LMS: secret('webhook secret of the LMS source', 'receiver (serve)'),
  TIERLINE_SECRET_ERP: secret('webhook secret of the ERP source', 'receiver (serve)'),
  TIERLINE_ADMIN_TOKEN: secret(
    'opens the console `/console`, the queue dashboard `/admin/queues` (unset: neither is mounted) and `/metrics`',
    'receiver (serve)',
  ),
  TIERLINE_METRICS_TOKEN: secret('opens `/metrics` only (neither token set: `/metrics` is open)', 'receiver (serve)'),
  // connectors on serve (docs/connectors.md): each endpoint answers 404 while its settings are missing
  TIERLINE_CONNECTORS: variable(
    text().optional(),
    'the connectors mapping file (YAML); unset: every `/connectors/*` and `/xapi/statements` endpoint answers 404',
    { group: 'receiver (serve)', accepts: 'path', shownDefault: 'unset' },
  ),
  TIERLINE_SALESFORCE_TOKEN: secret(
    'the secret token of `POST /connectors/salesforce?token=…` (Outbound Messages cannot sign)',
    'receiver (serve)',
  ),
  HUBSPOT_CLIENT_SECRET: secret(
    "the HubSpot app's client secret: verifies `X-HubSpot-Signature-v3` on `POST /connectors/hubspot`",
    'receiver (serve)',
  ),
  HUBSPOT_ACCESS_TOKEN: secret('the HubSpot private-app token `serve` fetches deals with', 'receiver (serve)'),
  HUBSPOT_API_URL: variable(httpUrl().default('https://api.hubapi.com'), 'the HubSpot API base URL', {
    group: 'receiver (serve)',
    accepts: 'http(s) URL',
  }),
  STRIPE_WEBHOOK_SECRET: secret(
    "the Stripe endpoint's signing secret (`whsec_…`) for `POST /connectors/stripe`",
    'receiver (serve)',
  ),
  TIERLINE_XAPI_KEY: secret(
    "the HTTP Basic user of `POST /xapi/statements` (the LMS's LRS credentials)",
    'receiver (serve)',
  ),
  TIERLINE_XAPI_SECRET: secret('the HTTP Basic password of `POST /xapi/statements`', 'receiver (serve)'),
  TIERLINE_LINK_SECRET: variable(
    text().optional(),
    'signs the partner-page links `/p/{token}` (`serve` and `links create` need the same one)',
    {
      group: 'receiver (serve)',
      accepts: 'text (use a long random one)',
      shownDefault: 'unset (a development secret; `serve` warns)',
      secret: true,
    },
  ),

  // worker metrics
  TIERLINE_METRICS_PORT: variable(
    port().optional(),
    'a `workers` process serves its own `/metrics` and `/healthz` on this port (`--metrics-port` wins)',
    {
      group: 'worker metrics',
      accepts: 'port 0-65535',
      shownDefault: 'unset (no server)',
    },
  ),
  TIERLINE_METRICS_HOST: variable(
    text().default('127.0.0.1'),
    'address for `TIERLINE_METRICS_PORT` (`--metrics-host` wins)',
    { group: 'worker metrics', accepts: 'address' },
  ),

  // notifications
  SMTP_URL: variable(
    urlOf(/^smtps?$/, 'an smtp:// or smtps:// URL').optional(),
    'where emails go (`smtps://` or `?secure=true` for TLS); unset: `.eml` files in `MAIL_OUTBOX_DIR`',
    {
      group: 'notifications',
      accepts: '`smtp://` or `smtps://` URL',
      shownDefault: 'unset',
      url: true,
    },
  ),
  MAIL_OUTBOX_DIR: variable(text().default('./outbox'), 'folder for `.eml` files when `SMTP_URL` is unset', {
    group: 'notifications',
    accepts: 'path',
  }),
  TIERLINE_MAIL_FROM: variable(emailAddress().default('no-reply@tierline.localhost'), 'envelope and From address', {
    group: 'notifications',
    accepts: 'email address',
  }),
  TIERLINE_MAIL_FROM_NAME: variable(
    text()
      .transform((name) => headerText(name, 100))
      .optional(),
    'From display name',
    { group: 'notifications', accepts: 'text (100 characters)', shownDefault: "the program's name" },
  ),
  TIERLINE_UNSUBSCRIBE_SECRET: variable(
    text().optional(),
    'signs the one-click unsubscribe links (the notifier and `serve` need the same one)',
    {
      group: 'notifications',
      accepts: 'text',
      shownDefault: 'required with `SMTP_URL`; else a development secret',
      secret: true,
    },
  ),
  TIERLINE_PUBLIC_URL: variable(
    httpUrl().default('http://localhost:8080'),
    'public base URL of `serve`, for unsubscribe and partner-page links',
    { group: 'notifications', accepts: '`http(s)://` URL' },
  ),
  TIERLINE_MAIL_PER_PARTNER_PER_DAY: variable(
    integer(1).default(5),
    'emails per partner per day (program timezone); more wait for the next day, never dropped',
    { group: 'notifications', accepts: 'whole number ≥ 1' },
  ),
  TIERLINE_MAIL_PER_SECOND: variable(positiveNumber().default(10), 'SMTP messages per second, per notifier process', {
    group: 'notifications',
    accepts: 'number > 0',
  }),
  TIERLINE_MAIL_POLL_MS: variable(
    integer(10).default(500),
    'how often the outbox is polled when nothing wakes the notifier',
    { group: 'notifications', accepts: 'milliseconds ≥ 10' },
  ),
  TIERLINE_MAIL_CLAIM_TIMEOUT_MS: variable(
    integer(100).default(300_000),
    "a claim older than this is taken to be a crashed notifier's (must exceed 3 × `TIERLINE_SMTP_TIMEOUT_MS`)",
    {
      group: 'notifications',
      accepts: 'milliseconds ≥ 100',
    },
  ),
  TIERLINE_MAIL_BATCH: variable(integer(1).default(20), 'outbox rows claimed per round trip', {
    group: 'notifications',
    accepts: 'whole number ≥ 1',
  }),
  TIERLINE_MAIL_RETRY_BASE_MS: variable(
    integer(1).default(30_000),
    'first retry delay after a transient failure; doubles per attempt',
    { group: 'notifications', accepts: 'milliseconds ≥ 1' },
  ),
  TIERLINE_MAIL_RETRY_MAX_MS: variable(integer(1).default(3_600_000), 'longest retry delay', {
    group: 'notifications',
    accepts: 'milliseconds ≥ 1',
  }),
  TIERLINE_MAIL_MAX_ATTEMPTS: variable(
    integer(1).default(10),
    'claims before an email that keeps failing transiently is recorded as failed',
    { group: 'notifications', accepts: 'whole number ≥ 1' },
  ),
  TIERLINE_MAIL_CAP_RECHECK_MS: variable(
    integer(10).default(900_000),
    "how long an email over its partner's daily cap waits before it is looked at again",
    { group: 'notifications', accepts: 'milliseconds ≥ 10' },
  ),
  TIERLINE_MAIL_SETTLE_SECONDS: variable(
    integer(0).optional(),
    "overrides the program's `alerts.settleMinutes` (tests and demos): how long a notification waits before it is re-checked and sent",
    { group: 'notifications', accepts: 'seconds ≥ 0', shownDefault: "the program's `alerts.settleMinutes`" },
  ),
  TIERLINE_SMTP_TIMEOUT_MS: variable(integer(100).default(30_000), 'SMTP connection, greeting and socket timeouts', {
    group: 'notifications',
    accepts: 'milliseconds ≥ 100',
  }),

  // logs and debugging
  LOG_LEVEL: variable(
    z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    'pino level; logs are JSON with partner and job ids, emails and secrets redacted',
    {
      group: 'logs, debugging and tests',
      accepts: LOG_LEVELS.map((l) => `\`${l}\``).join(', '),
    },
  ),
  TIERLINE_DEBUG: variable(text().optional(), 'any value: the CLI prints the stack trace of an unexpected error', {
    group: 'logs, debugging and tests',
    accepts: 'any',
    shownDefault: 'unset',
  }),
  TIERLINE_FROM_SOURCE: variable(
    flag().default(false),
    '`bin/tierline.js` runs the TypeScript through tsx even when an up-to-date build (`dist/`, `npm run build`) is there',
    { group: 'logs, debugging and tests', accepts: '`1`/`true`, `0`/`false`', shownDefault: 'unset (off)' },
  ),
  NO_COLOR: variable(text().optional(), 'any value: `demo` prints without colours', {
    group: 'logs, debugging and tests',
    accepts: 'any',
    shownDefault: 'unset',
  }),
  TIERLINE_CHAOS_CRASH_AFTER_COMMIT: variable(
    text().optional(),
    'fault injection for `npm run test:chaos`: `1` lets SIGUSR2 arm a worker to kill itself right after its next ' +
      'commit; never set it in production',
    {
      group: 'logs, debugging and tests',
      accepts: '`1`',
      shownDefault: 'unset (off)',
    },
  ),
  CHROMIUM_PATH: variable(
    text().default('/usr/bin/chromium'),
    'the browser `npm run render-emails` and `npm run render-demo` drive',
    { group: 'logs, debugging and tests', accepts: 'path' },
  ),
};

/** The schema of Tierline's whole environment. */
export const ENV_SCHEMA = z.object(SHAPE);
export type TierlineEnv = z.output<typeof ENV_SCHEMA>;
export type EnvName = keyof typeof SHAPE;
export const ENV_NAMES = Object.keys(SHAPE) as EnvName[];

function shown(name: EnvName, raw: unknown): string {
  const doc = ENV_DOCS.get(SHAPE[name]);
  if (doc?.secret) return '(value hidden)';
  const value = String(raw).trim();
  const clipped = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return doc?.url ? redact(clipped) : clipped;
}

function problem(name: EnvName, raw: unknown, error: z.ZodError): string {
  return `${name} is not valid (${error.issues[0]?.message ?? 'invalid'}): ${shown(name, raw)}`;
}

/** One variable, parsed: its default when unset or empty; a ConfigError naming it when invalid. */
export function readVariable<K extends EnvName>(name: K, env: Env = process.env): TierlineEnv[K] {
  const raw = env[name];
  const parsed = SHAPE[name].safeParse(raw);
  if (!parsed.success) throw new ConfigError(problem(name, raw, parsed.error));
  return parsed.data as TierlineEnv[K];
}

/** The whole environment, parsed; every invalid variable is named in one message. */
export function readEnv(env: Env = process.env): TierlineEnv {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const name of ENV_NAMES) {
    const parsed = SHAPE[name].safeParse(env[name]);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(problem(name, env[name], parsed.error));
  }
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  return values as TierlineEnv;
}
