// `tierline migrate` end to end against a real server: creates the database,
// applies the migrations, and says so; a second run has nothing to do.
import { Command } from 'commander';
import { afterAll, expect, it, vi } from 'vitest';
import { withDatabase } from '../../db/connect.ts';
import { migrate, registerMigrate } from '../../scripts/commands/migrate.ts';
import { describeWithPostgres, dropDatabase, postgres, testDatabaseName } from '../setup/db.ts';

describeWithPostgres('tierline migrate', () => {
  const name = testDatabaseName();
  // Built lazily: when the suite is skipped there is no server URL to build it from.
  const env = () => ({ DATABASE_URL: withDatabase(postgres.url, name) });
  afterAll(() => dropDatabase(name));

  it('creates the database and applies every migration', async () => {
    const out: string[] = [];
    await migrate(env(), (l) => out.push(l));
    expect(out[0]).toBe(`created database ${name}`);
    expect(out.length).toBeGreaterThan(1);
    expect(out.slice(1).every((l) => /^applied \d{4}_\d{2}_\d{2}_\d{4}_\w+$/.test(l))).toBe(true);
  });

  it('says the schema is up to date on a second run', async () => {
    const out: string[] = [];
    await migrate(env(), (l) => out.push(l));
    expect(out).toEqual(['schema is up to date']);
  });

  it('is registered on the CLI as `migrate`', async () => {
    const program = new Command('tierline').exitOverride();
    registerMigrate(program);
    vi.stubEnv('DATABASE_URL', env().DATABASE_URL);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await program.parseAsync(['migrate'], { from: 'user' });
      expect(log).toHaveBeenCalledWith('schema is up to date');
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
