// `npm run bench [-- --quick] [--dry-run] [--only e2e,nightly,...]`: the benchmark suite of
// issue #7 against the real Redis and Postgres (DATABASE_URL's server, REDIS_URL), each
// scenario on a fresh database and queue prefix, workers as separate processes. Writes
// bench/out/latest.json (or --out) and prints a table with each target and its verdict.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Command } from 'commander';
import { runBackfill, type BackfillResult } from './scenarios/backfill.ts';
import { runE2e, type E2eResult } from './scenarios/e2e.ts';
import { runEvaluate, type EvaluateResult } from './scenarios/evaluate.ts';
import { runHistoryLength, type HistoryLengthResult } from './scenarios/history-length.ts';
import { runNightly, type NightlyResult } from './scenarios/nightly.ts';
import { renderTable } from './lib/report.ts';
import { benchOutput } from './lib/schema.ts';
import { stopwatch, round } from './lib/stats.ts';

const SCENARIOS = ['e2e', 'nightly', 'incremental', 'backfill', 'evaluate'] as const;

const opts = new Command('bench')
  .option('--quick', 'a tenth of the data (under two minutes)')
  .option('--dry-run', 'a few hundred events per scenario: checks the harness, measures nothing')
  .option('--only <list>', `comma-separated subset of ${SCENARIOS.join(',')}`)
  .option('--out <file>', 'where the JSON goes', 'bench/out/latest.json')
  .option('--seed <n>', 'data seed', '42')
  .option('--partners <n>', 'nightly: partners (default 100000, quick 10000)')
  .option('--deals <n>', 'nightly: deals (default 10000000, quick 1000000)')
  .option('--small-deals <n>', 'incremental: deals in the smaller database (default a tenth of --deals)')
  .option('--certifications <n>', 'nightly: certification records (default 1000000, quick 100000)')
  .option('--samples <n>', 'incremental: deal closings timed at each size', '')
  .option('--recompute-processes <n>', 'recompute worker processes', '2')
  .option('--backfill-events <n>', 'backfill: history events (default 5000000, quick 500000)')
  .option('--e2e-events <n>', 'e2e: events in the throughput phase (default 50000, quick 5000)')
  .option('--e2e-seconds <n>', 'e2e: seconds per latency phase (default 30, quick 3)')
  .option('--evaluate-partners <n>', 'evaluate: partners (default 1000, quick 100)')
  .option('--evaluate-events <n>', 'evaluate: events (default 1000000, quick 100000)')
  .option('--plans', 'keep EXPLAIN ANALYZE plans of the hot queries in bench/out/plans')
  .option('--keep', 'keep the benchmark databases')
  .parse()
  .opts<Record<string, string | boolean | undefined>>();

const quick = Boolean(opts.quick);
const dry = Boolean(opts.dryRun);
/** Full size, a tenth with --quick, a token size with --dry-run. */
const size = (name: string, full: number, dryValue: number): number => {
  const given = opts[name];
  if (typeof given === 'string' && given !== '') return Number(given);
  return dry ? dryValue : quick ? Math.round(full / 10) : full;
};
const only = new Set(typeof opts.only === 'string' ? opts.only.split(',').map((s) => s.trim()) : SCENARIOS);
for (const s of only)
  if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario ${s}`);
const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const seed = Number(opts.seed);
const total = stopwatch();

const commit = ((): string => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

const result: {
  quick: boolean;
  dryRun: boolean;
  startedAt: string;
  commit: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    loadAverageAtStart: number;
    loadAverageAtEnd?: number;
  };
  seconds?: number;
  e2e?: E2eResult;
  nightly?: NightlyResult['nightly'];
  incremental?: NightlyResult['incremental'] & Partial<HistoryLengthResult>;
  backfill?: BackfillResult;
  evaluate?: EvaluateResult;
} = {
  quick,
  dryRun: dry,
  startedAt: new Date().toISOString(),
  commit,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAverageAtStart: round(os.loadavg()[0] ?? 0, 2),
  },
};

if (only.has('e2e')) {
  log('e2e …');
  result.e2e = await runE2e({
    seed,
    partners: dry ? 50 : quick ? 1_000 : 1_000,
    historyDealsPerPartner: dry ? 5 : 20,
    events: size('e2eEvents', 50_000, 300),
    phaseSeconds: size('e2eSeconds', 30, 2) || (quick ? 8 : 30),
    fixedRate: 500,
    keep: Boolean(opts.keep),
    log,
  });
}
if (only.has('nightly') || only.has('incremental')) {
  log('nightly + incremental …');
  const deals = size('deals', 10_000_000, 1_000);
  const r = await runNightly({
    partners: size('partners', 100_000, 50),
    deals,
    smallDeals: typeof opts.smallDeals === 'string' ? Number(opts.smallDeals) : Math.round(deals / 10),
    certifications: size('certifications', 1_000_000, 500),
    invoiceMonths: 12,
    samples: typeof opts.samples === 'string' && opts.samples !== '' ? Number(opts.samples) : dry ? 3 : quick ? 20 : 50,
    recomputeProcesses: dry ? 1 : Number(opts.recomputeProcesses),
    seed,
    keep: Boolean(opts.keep),
    plansDir: opts.plans ? 'bench/out/plans' : undefined,
    log,
  });
  if (only.has('nightly')) result.nightly = r.nightly;
  if (only.has('incremental')) {
    log('incremental by history length …');
    const h = await runHistoryLength({
      recentDeals: dry ? 5 : 50,
      longDeals: dry ? 50 : 5_000,
      samples:
        typeof opts.samples === 'string' && opts.samples !== '' ? Number(opts.samples) : dry ? 3 : quick ? 20 : 50,
      seed,
      keep: Boolean(opts.keep),
      log,
    });
    result.incremental = { ...r.incremental, ...h };
  }
}
if (only.has('backfill')) {
  log('backfill …');
  result.backfill = await runBackfill({
    seed,
    events: size('backfillEvents', 5_000_000, 400),
    keep: Boolean(opts.keep),
    log,
  });
}
if (only.has('evaluate')) {
  log('evaluate …');
  result.evaluate = await runEvaluate({
    seed,
    partners: size('evaluatePartners', 1_000, 5),
    events: size('evaluateEvents', 1_000_000, 300),
    log,
  });
}

result.seconds = round(total(), 1);
// Other work on the machine shows up in every figure: the 1-minute load average says how much.
result.machine.loadAverageAtEnd = round(os.loadavg()[0] ?? 0, 2);
if (only.size === SCENARIOS.length) {
  const checked = benchOutput.safeParse(result);
  if (!checked.success) throw new Error(`the output does not have the promised shape: ${checked.error.message}`);
}
const out = String(opts.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(renderTable(result));
console.log(
  `\n${out} · ${result.seconds} s · load average ${result.machine.loadAverageAtStart} ` +
    `→ ${result.machine.loadAverageAtEnd} on ${result.machine.cpus} CPUs${dry ? ' · dry run: figures mean nothing' : ''}`,
);
