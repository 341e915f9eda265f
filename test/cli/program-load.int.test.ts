// Issue #21 item 2: loading the same program file twice was refused ("already loaded with a
// different definition": the stored jsonb, keys reordered by Postgres, was compared as text
// with the file). Now the same definition is a no-op (exit 0, "unchanged", nothing owed), a
// different one under the same version is refused with what differs, by path, and
// `program validate` shows what a load would do, storing nothing (and validates without a
// database). Item 3: a load whose recompute cannot be queued (Redis down) succeeded and says so.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from '../setup/db.ts';
import { closedPort, tempFile, tierline } from './support.ts';

// Each `tierline` run starts a Node process (about a second, more on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const ACME = 'examples/acme/program.json';
type Doc = Record<string, unknown> & { tracks: { tiers: { criteria: { allOf: { atLeast: string }[] } | null }[] }[] };
const acme = (): Doc => JSON.parse(readFileSync(ACME, 'utf8')) as Doc;

describeWithPostgres('tierline program load and validate', () => {
  let database: FreshDatabase;
  let env: Record<string, string>;
  let noPostgres: Record<string, string>;

  const stored = async () =>
    database.db.selectFrom('program_versions').select(['version', 'definition']).orderBy('version').execute();
  const owed = async () => database.db.selectFrom('recompute_requests').select('partner_id').execute();

  /** acme with silver's revenue threshold raised from 250000 to 300000, same version. */
  const changed = (): string => {
    const doc = acme();
    const leaf = doc.tracks[0]?.tiers[1]?.criteria?.allOf[0];
    if (leaf?.atLeast !== '250000') throw new Error(`${ACME} changed shape`);
    leaf.atLeast = '300000';
    return tempFile('changed.json', JSON.stringify(doc, null, 2));
  };

  beforeAll(async () => {
    database = await freshDatabase();
    // A partner with an accepted event: a new program version makes it owe a recompute.
    await database.db
      .insertInto('inbox')
      .values({
        source: 'crm',
        event_id: 'e-1',
        partner_id: 'P-1',
        type: 'partner.upserted',
        payload: '{}',
        payload_hash: 'x',
        outcome: 'accepted',
      })
      .execute();
    // Redis never answers here: Postgres is the record, Redis only wakes the workers.
    env = { DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${await closedPort()}` };
    noPostgres = { DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/nothing` };
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('loads a file, with Redis down: stored, exit 0, the recompute left to when Redis answers', async () => {
    const r = tierline(['program', 'load', ACME], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('loaded acme 2027.1 (effective from 2025-01-01)');
    expect(r.stdout).toMatch(/stored; 1 partner owes a recompute, which runs when Redis answers \(cannot reach Redis/);
    expect((await stored()).map((v) => v.version)).toEqual(['2027.1']);
    expect(await owed()).toEqual([{ partner_id: 'P-1' }]);
  });

  it('loads the same file again: unchanged, exit 0, and no partner owes a recompute for it', async () => {
    await database.db.deleteFrom('recompute_requests').execute();
    const r = tierline(['program', 'load', ACME], env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('unchanged acme 2027.1: already loaded with this definition, nothing to do');
    expect(await owed()).toEqual([]);
    // The same definition written in YAML, keys in another order, is the same too.
    const doc = acme();
    const yaml = Object.entries(doc)
      .reverse()
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join('\n');
    const again = tierline(['program', 'load', tempFile('acme.yaml', yaml)], env);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('unchanged acme 2027.1');
  });

  it('refuses a different definition under the same version with what differs, by path', async () => {
    const before = await stored();
    const r = tierline(['program', 'load', changed()], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('version 2027.1 is already loaded with a different definition');
    expect(r.stderr).toContain('tracks[0].tiers[1].criteria.allOf[0].atLeast: "250000" → "300000"');
    // One difference, one line (the heading says which side is which: stored → file).
    expect(r.stderr.split('\n').filter((l) => /^\s+\S+: .* → /.test(l))).toHaveLength(1);
    expect(await stored()).toEqual(before);
  });

  it('validate: unchanged, new and different versions against the stored ones, storing nothing', async () => {
    const before = await stored();
    const same = tierline(['program', 'validate', ACME], env);
    expect(same.status).toBe(0);
    expect(same.stdout).toContain('valid: acme, 1 version (2027.1)');
    expect(same.stdout).toContain('unchanged acme 2027.1');

    const next = { ...acme(), version: '2027.2', effectiveFrom: '2026-01-01' };
    const fresh = tierline(['program', 'validate', tempFile('next.json', JSON.stringify(next))], env);
    expect(fresh.stderr).toBe('');
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toContain('new acme 2027.2: would be loaded (effective from 2026-01-01');

    const differs = tierline(['program', 'validate', changed()], env);
    expect(differs.status).toBe(1);
    expect(differs.stderr).toContain('tracks[0].tiers[1].criteria.allOf[0].atLeast: "250000" → "300000"');

    expect(await stored()).toEqual(before);
    expect(await owed()).toEqual([]);
  });

  it('validate without a database: the files are checked, the comparison says why it was skipped', () => {
    const ok = tierline(['program', 'validate', ACME], noPostgres);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines[0]).toBe('valid: acme, 1 version (2027.1)');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^not compared with the stored versions: cannot reach/)]);

    const doc = acme();
    const leaf = doc.tracks[0]?.tiers[1]?.criteria?.allOf[0];
    if (leaf) (leaf as { atLeast: unknown }).atLeast = 250000;
    const bad = tierline(['program', 'validate', tempFile('bad.json', JSON.stringify(doc))], noPostgres);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      'tracks[0].tiers[1].criteria.allOf[0].atLeast: expected a decimal string such as "0.05", not a JSON number (see docs/program.md#numbers)',
    );
    expect(bad.stderr).not.toMatch(/cannot reach/);
  });

  it('checks the files before touching Postgres (item 1): a missing file or a directory is one line, exit 1', () => {
    for (const args of [
      ['program', 'load', 'nope.json'],
      ['program', 'validate', 'nope.json'],
      ['program', 'load', 'examples'],
    ]) {
      const r = tierline(args, noPostgres);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([
        expect.stringMatching(/^tierline: cannot read program file (nope\.json|examples): .*(ENOENT|EISDIR)/),
      ]);
    }
  });
});
