// Issue #21 items 3, 9 and 1 for `tierline overrides`: with Redis unreachable `set` printed
// "cannot reach Redis" and exited 1 although the override was stored, audited and applied
// later (a retry made a duplicate). Postgres is the record: `set` and `clear` store, say the
// recompute runs when Redis answers, exit 0; the same partner, tier and days again store
// nothing. An unknown tier lists the track's tiers and suggests the case-insensitive match;
// missing required options are named at once; arguments are checked before any service.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { storeProgramVersions } from '../../services/programs.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from '../setup/db.ts';
import { loadExampleProgram } from '../setup/pipeline.ts';
import { closedPort, tierline } from './support.ts';

// Each `tierline` run starts a Node process (about a second, more on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const P = 'P-1';
const SET = ['overrides', 'set', P, 'gold', '--from', '2026-11-20', '--until', '2026-12-31'];

describeWithPostgres('tierline overrides', () => {
  let database: FreshDatabase;
  let env: Record<string, string>;
  let noServices: Record<string, string>;

  const rows = async () => database.db.selectFrom('overrides').selectAll().orderBy('id').execute();
  const audit = async () => database.db.selectFrom('audit_log').select('action').orderBy('id').execute();

  beforeAll(async () => {
    database = await freshDatabase();
    const program = loadExampleProgram();
    await database.db.transaction().execute(async (trx) => {
      const stored = await storeProgramVersions(
        trx,
        program.versions.map((v) => v.program),
      );
      if (!stored.ok) throw new Error(stored.problems.join('\n'));
    });
    await database.db
      .insertInto('partners')
      .values({ partner_id: P, name: 'Partner One', partner_type: 'reseller', version: '1', source_event_id: 'e-1' })
      .execute();
    // Redis never answers here: Postgres is the record, Redis only wakes the workers.
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      TIERLINE_TODAY: '2026-11-23',
    };
    noServices = {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/nothing`,
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
    };
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('set with Redis down: stored, audited, owed, says so, exit 0', async () => {
    const r = tierline([...SET, '--reason', 'strategic account', '--by', 'alice'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('override set: P-1 at gold from 2026-11-20 until 2026-12-31 (strategic account, by alice)');
    expect(lines[1]).toMatch(/^stored; the recompute will run when Redis answers \(cannot reach Redis at /);
    expect(await rows()).toMatchObject([{ partner_id: P, tier_id: 'gold', cleared_at: null }]);
    expect(await audit()).toEqual([{ action: 'override.set' }]);
    const owed = await database.db.selectFrom('recompute_requests').select(['partner_id', 'from_day']).execute();
    expect(owed).toEqual([{ partner_id: P, from_day: '2026-11-20' }]);
  });

  it('set again (a retry): the override already exists, nothing stored or audited, exit 0', async () => {
    const [first] = await rows();
    const r = tierline([...SET, '--reason', 'retry', '--by', 'bob'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `override already exists: #${first?.id} P-1 at gold from 2026-11-20 until 2026-12-31 (strategic account, by alice); nothing stored`,
    );
    expect(await rows()).toHaveLength(1);
    expect(await audit()).toEqual([{ action: 'override.set' }]);
  });

  it("an unknown tier lists the partner's track's tiers and suggests the case-insensitive match", async () => {
    const gold = tierline(['overrides', 'set', P, 'Gold', '--until', '2026-12-31', '--reason', 'r'], env);
    expect(gold.status).toBe(1);
    expect(gold.stderr).toBe(
      'tierline: unknown tier "Gold" for track resell (tiers: registered, silver, gold); did you mean "gold"?\n',
    );
    // A tier of another track is not one of this partner's.
    const elite = tierline(['overrides', 'set', P, 'elite', '--until', '2026-12-31', '--reason', 'r'], env);
    expect(elite.stderr).toBe('tierline: unknown tier "elite" for track resell (tiers: registered, silver, gold)\n');
    // A partner not known yet: every track's tiers.
    const unknown = tierline(['overrides', 'set', 'P-NEW', 'Elite', '--until', '2026-12-31', '--reason', 'r'], env);
    expect(unknown.stderr).toBe(
      'tierline: unknown tier "Elite" in program acme (partner P-NEW is not known yet; tiers: resell: registered, silver, gold; refer: member, elite); did you mean "elite"?\n',
    );
    expect(await rows()).toHaveLength(1);
  });

  it('names every missing required option in one line, and marks them in --help', () => {
    const r = tierline(['overrides', 'set', P, 'gold'], noServices);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'tierline: overrides set: missing required options --until <date>, --reason <text> (see --help)\n',
    );
    const help = tierline(['overrides', 'set', '--help'], {});
    expect(help.stdout).toMatch(/--until <date>\s+last day \(inclusive\) \(required\)/);
    expect(help.stdout).toMatch(/--reason <text>\s+why \(required\)/);
  });

  it('checks the arguments before touching Postgres or Redis: one line, exit 1', () => {
    const cases: [string[], string][] = [
      [[...SET.slice(0, 7), '2026-13-45', '--reason', 'r'], '--until: expected a date YYYY-MM-DD, got "2026-13-45"'],
      [
        ['overrides', 'set', P, 'gold', '--from', 'today', '--until', '2026-12-31', '--reason', 'r'],
        '--from: expected a date YYYY-MM-DD, got "today"',
      ],
      [
        ['overrides', 'set', P, 'gold', '--from', '2027-01-01', '--until', '2026-12-31', '--reason', 'r'],
        '--until 2026-12-31 is before --from 2027-01-01',
      ],
      [['overrides', 'set', ' ', 'gold', '--until', '2026-12-31', '--reason', 'r'], 'the partner id must not be empty'],
      [['overrides', 'set', P, '', '--until', '2026-12-31', '--reason', 'r'], 'the tier must not be empty'],
      [['overrides', 'set', P, 'gold', '--until', '2026-12-31', '--reason', ''], '--reason must not be empty'],
      [['overrides', 'clear', ''], 'the partner id must not be empty'],
    ];
    for (const [args, message] of cases) {
      const r = tierline(args, noServices);
      expect(r.stderr, args.join(' ')).toBe(`tierline: ${message}\n`);
      expect(r.status, args.join(' ')).toBe(1);
    }
  });

  it('clear with Redis down: cleared, audited, says so, exit 0', async () => {
    const r = tierline(['overrides', 'clear', P, '--by', 'bob'], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^cleared 1 override of P-1\nstored; the recompute will run when Redis answers \(/);
    expect(await audit()).toEqual([{ action: 'override.set' }, { action: 'override.clear' }]);
    const list = tierline(['overrides', 'list'], env);
    expect(list.stdout.trim()).toBe('no active overrides');
  });
});
