// The human table: one line per figure, its same-run baseline, the target and the verdict.
import type { BackfillResult } from '../scenarios/backfill.ts';
import type { E2eResult } from '../scenarios/e2e.ts';
import type { EvaluateResult } from '../scenarios/evaluate.ts';
import type { HistoryLengthResult } from '../scenarios/history-length.ts';
import type { NightlyResult } from '../scenarios/nightly.ts';

export interface Report {
  quick: boolean;
  dryRun: boolean;
  e2e?: E2eResult;
  nightly?: NightlyResult['nightly'];
  incremental?: NightlyResult['incremental'] & Partial<HistoryLengthResult>;
  backfill?: BackfillResult;
  evaluate?: EvaluateResult;
}

const n = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 1 });
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

export function targets(
  r: Report,
): Array<{ scenario: string; measure: string; value: string; baseline: string; target: string; verdict: string }> {
  const rows: ReturnType<typeof targets> = [];
  const row = (
    scenario: string,
    measure: string,
    value: string,
    baseline: string,
    target: string,
    ok?: boolean,
  ): void => {
    rows.push({ scenario, measure, value, baseline, target, verdict: ok === undefined ? 'report' : verdict(ok) });
  };
  if (r.e2e) {
    const e = r.e2e;
    row(
      'e2e',
      'events/s, ingest → decision',
      n(e.eventsPerSec),
      `no-op ${n(e.baselineNoopJobsPerSec)} jobs/s`,
      '≥ 0.5 × no-op',
      e.eventsPerSec >= 0.5 * e.baselineNoopJobsPerSec,
    );
    row(
      'e2e',
      `p50/p95/p99 ms at ${n(e.offeredRate)}/s`,
      `${n(e.latencyMs.p50)} / ${n(e.latencyMs.p95)} / ${n(e.latencyMs.p99)}`,
      '',
      'p99 ≤ 250 ms',
      e.latencyMs.p99 <= 250,
    );
    const f = e.latencyAtFixedRateMs;
    row(
      'e2e',
      `p50/p95/p99 ms at ${n(f.rate)}/s`,
      `${n(f.p50)} / ${n(f.p95)} / ${n(f.p99)}`,
      '',
      'p99 ≤ 100 ms',
      f.p99 <= 100,
    );
  }
  if (r.nightly) {
    const x = r.nightly;
    const what = `${n(x.partners)} partners, ${n(x.deals)} deals`;
    row(
      'nightly',
      `recompute --all --full s (${what})`,
      `${n(x.seconds)}`,
      `SQL GROUP BY ${n(x.sqlBaselineSeconds)} s`,
      '≤ 3 × SQL',
      x.seconds <= 3 * x.sqlBaselineSeconds,
    );
    row(
      'nightly',
      'first run after the load, s',
      `${n(x.firstRunSeconds)}`,
      `SQL GROUP BY ${n(x.sqlBaselineSeconds)} s`,
      '≤ 3 × SQL',
      x.firstRunSeconds <= 3 * x.sqlBaselineSeconds,
    );
    row(
      'nightly',
      `steady night s (1% changed; ${n(x.steadyRecomputed)} recomputed, ${n(x.steadyNotDue)} not due)`,
      `${n(x.steadySeconds)}`,
      `SQL GROUP BY ${n(x.sqlBaselineSeconds)} s`,
      '≤ 0.5 × SQL',
      x.steadySeconds <= 0.5 * x.sqlBaselineSeconds,
    );
    if (x.cpu) {
      const c = x.cpu;
      row(
        'nightly',
        'CPU s (workers + Postgres): --full / steady night',
        `${n(c.fullProcessSeconds + c.fullPostgresSeconds)} / ${n(c.steadyProcessSeconds + c.steadyPostgresSeconds)}`,
        `SQL GROUP BY ${n(c.sqlBaselinePostgresSeconds)} CPU s`,
        'report only',
        undefined,
      );
    }
    row('nightly', 'peak RSS of any process, MB', n(x.peakRssMb), '', '≤ 512 MB', x.peakRssMb <= 512);
  }
  if (r.incremental) {
    const i = r.incremental;
    row('incremental', `p50/p99 ms at ${n(i.smallDeals)} deals`, `${n(i.smallP50Ms)} / ${n(i.smallP99Ms)}`, '', '—');
    row(
      'incremental',
      `p50/p99 ms at ${n(i.largeDeals)} deals`,
      `${n(i.largeP50Ms)} / ${n(i.largeP99Ms)}`,
      '',
      'p50 ≤ 1.5 × smaller p50',
      i.largeP50Ms <= 1.5 * i.smallP50Ms,
    );
    if (i.shortHistoryP50Ms !== undefined && i.longHistoryP50Ms !== undefined) {
      row(
        'incremental',
        `p50/p99 ms, ${n(i.shortHistoryDeals ?? 0)} deals of history`,
        `${n(i.shortHistoryP50Ms)} / ${n(i.shortHistoryP99Ms ?? 0)}`,
        '',
        '—',
      );
      row(
        'incremental',
        `p50/p99 ms, ${n(i.longHistoryDeals ?? 0)} deals of history`,
        `${n(i.longHistoryP50Ms)} / ${n(i.longHistoryP99Ms ?? 0)}`,
        '',
        'p50 ≤ 2 × shorter history',
        i.longHistoryP50Ms <= 2 * i.shortHistoryP50Ms,
      );
    }
  }
  if (r.backfill) {
    const b = r.backfill;
    row(
      'backfill',
      `events/s (${n(b.events)} events)`,
      n(b.eventsPerSec),
      `COPY ${n(b.copyRowsPerSec)} rows/s`,
      '≥ 0.5 × COPY',
      b.eventsPerSec >= 0.5 * b.copyRowsPerSec,
    );
  }
  if (r.evaluate) {
    const v = r.evaluate;
    row(
      'evaluate',
      `s for ${n(v.partners)} partners / ${n(v.events)} events`,
      `${n(v.seconds)} (${n(v.peakRssMb)} MB)`,
      '',
      'report only',
    );
  }
  return rows;
}

export function renderTable(r: Report): string {
  const rows = targets(r);
  const head = {
    scenario: 'scenario',
    measure: 'measure',
    value: 'value',
    baseline: 'same-run baseline',
    target: 'target',
    verdict: 'verdict',
  };
  const all = [head, ...rows];
  const keys = Object.keys(head) as Array<keyof typeof head>;
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((x) => x[k].length))])) as Record<
    keyof typeof head,
    number
  >;
  const line = (x: typeof head): string =>
    keys
      .map((k) => x[k].padEnd(width[k]))
      .join('  ')
      .trimEnd();
  return [
    `Tierline benchmarks${r.quick ? ' (--quick)' : ''}${r.dryRun ? ' (--dry-run)' : ''}`,
    line(head),
    keys.map((k) => '─'.repeat(width[k])).join('  '),
    ...rows.map(line),
  ].join('\n');
}
