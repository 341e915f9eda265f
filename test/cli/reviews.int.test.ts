// `tierline reviews` through the real binary (issue 16 item 2): examples/review-style as of
// 2026-11-18 with Redis unreachable. `list` shows the pending reviews (human and --json);
// `approve` stores, says the recompute runs when Redis answers, exits 0; the same again is a
// no-op; bad input (no pending review, a missing required option, a contradicting decision)
// is one line on stderr, exit 1, nothing stored.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { putFacts } from '../recompute/support.ts';
import { closedPort, tierline } from './support.ts';

vi.setConfig({ testTimeout: 120_000 });

const TODAY = '2026-11-18';

describeWithPostgres('tierline reviews', () => {
  let pipeline: Pipeline;
  let env: Record<string, string>;
  const stored = async () => pipeline.database.db.selectFrom('review_decisions').selectAll().orderBy('id').execute();

  beforeAll(async () => {
    pipeline = await createPipeline('examples/review-style/program.json');
    const events = readFileSync('examples/review-style/events.jsonl', 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
    await putFacts(pipeline, events);
    await recomputePartners(
      pipeline.database.db,
      pipeline.program,
      ['R-1', 'R-2', 'R-3', 'R-4', 'R-5'],
      dayOrThrow(TODAY),
    );
    env = {
      DATABASE_URL: pipeline.database.url,
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      TIERLINE_TODAY: TODAY,
    };
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('list: the pending reviews, for people and as JSON Lines', () => {
    const human = tierline(['reviews', 'list'], env);
    expect(human.status).toBe(0);
    expect(human.stdout.trim().split('\n')).toEqual(
      ['R-1', 'R-2', 'R-3'].map((id) => `${id} silver → registered since 2026-11-13, auto-approves on 2026-11-27`),
    );
    const json = tierline(['reviews', 'list', '--json'], env);
    expect(JSON.parse(json.stdout.trim().split('\n')[0] ?? '')).toEqual({
      partnerId: 'R-1',
      fromTier: 'silver',
      toTier: 'registered',
      since: '2026-11-13',
      autoApprovesOn: '2026-11-27',
    });
  });

  it('approve with Redis down: stored, says so, exit 0; again: nothing stored, exit 0', async () => {
    const r = tierline(['reviews', 'approve', 'R-2', '--on', '2026-11-16', '--by', 'maria'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('review approved: R-2 silver → registered from 2026-11-16 (by maria)');
    expect(lines[1]).toMatch(/^stored; the recompute will run when Redis answers \(cannot reach Redis at /);
    const again = tierline(['reviews', 'approve', 'R-2', '--by', 'tom'], env);
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe(
      'the demotion review of R-2 was already approved on 2026-11-16 by maria; nothing stored',
    );
    expect(await stored()).toHaveLength(1);
  });

  it('bad input: one line, exit 1, nothing stored', async () => {
    const cases: Array<[string[], string]> = [
      [['reviews', 'approve', 'R-4', '--by', 'maria'], 'no demotion review of R-4 is pending on 2026-11-18'],
      [
        ['reviews', 'reject', 'R-1', '--by', 'maria'],
        'reviews reject: missing required option --reason <text> (see --help)',
      ],
      [['reviews', 'approve', 'R-1'], 'reviews approve: missing required option --by <name> (see --help)'],
      [
        ['reviews', 'reject', 'R-2', '--on', '2026-11-16', '--by', 'tom', '--reason', 'no'],
        'the demotion review of R-2 (silver since 2026-11-13) was already approved on 2026-11-16 by maria',
      ],
    ];
    for (const [args, message] of cases) {
      const r = tierline(args, env);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim()).toBe(`tierline: ${message}`);
    }
    expect(await stored()).toHaveLength(1);
  });
});
