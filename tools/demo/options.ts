// `tierline demo` options: parsed and checked up front, each failure one line naming the option.
import { ConfigError, readEnv } from '../../config/env.ts';
import { DEMO_TODAY, type RawDemoOptions } from '../../scripts/lib/demo-entry.ts';
import { CliError } from '../../scripts/lib/errors.ts';

export interface DemoOptions {
  /** How long live events stream, in ms. */
  durationMs: number;
  partners: number;
  seed: number;
  /** Live events per second. */
  rate: number;
  /** The simulated day advances (with a nightly run) this often, in ms; 0 = never. */
  dayEveryMs: number;
  /** The database the demo drops and recreates. */
  database: string;
  queuePrefix: string;
  /** Where an embedded Postgres, a private Redis, the generated history and the worker log live. */
  dataDir: string;
  /** The first simulated day (YYYY-MM-DD). */
  today: string;
  /** Average events per partner in the generated history. */
  eventsPerPartner: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "60s", "2m", "1.5m", "500ms", "90" (seconds) → milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new CliError(`${option}: expected a duration like 60s, 2m or 500ms: ${text}`);
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1_000));
}

function integer(text: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max)
    throw new CliError(`${option}: expected a whole number from ${min} to ${max}: ${text}`);
  return Number(text);
}

export function parseDemoOptions(
  raw: RawDemoOptions,
  env: Record<string, string | undefined> = process.env,
): DemoOptions {
  const rate = Number(raw.rate);
  if (!/^\d+(\.\d+)?$/.test(raw.rate.trim()) || !(rate > 0) || rate > 200)
    throw new CliError(`--rate: expected events per second, more than 0 and at most 200: ${raw.rate}`);
  // The demo drops this database and wipes these queues: refuse names that could be real data.
  if (!/^tierline_demo[a-z0-9_]*$/.test(raw.database)) {
    throw new CliError(
      `--database: the demo drops and recreates it, so its name must start with tierline_demo (lower case, digits, _): ${raw.database}`,
    );
  }
  if (!raw.queuePrefix.includes('demo') || raw.queuePrefix.length > 100)
    throw new CliError(
      `--queue-prefix: the demo wipes its queues, so the prefix must contain "demo": ${raw.queuePrefix}`,
    );
  // The whole environment is checked here, before the demo touches anything (config/env.ts).
  let today: string;
  try {
    today = readEnv(env).TIERLINE_TODAY ?? DEMO_TODAY;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
  const durationMs = parseDuration(raw.duration, '--duration');
  if (durationMs > 24 * 3_600_000) throw new CliError(`--duration: at most 24h: ${raw.duration}`);
  return {
    durationMs,
    partners: integer(raw.partners, '--partners', 1, 200_000),
    seed: integer(raw.seed, '--seed', 0, 2 ** 31 - 1),
    rate,
    dayEveryMs: parseDuration(raw.dayEvery, '--day-every'),
    database: raw.database,
    queuePrefix: raw.queuePrefix,
    dataDir: raw.dataDir,
    today,
    eventsPerPartner: 60,
  };
}
