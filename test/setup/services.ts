// Finding the services tests run against. Local ones first (DATABASE_URL /
// REDIS_URL or the defaults); when none answers and Docker is there, containers
// via testcontainers, if it is installed (it is not a dependency: this machine
// has no Docker engine). Runs in the vitest main process (global setup).
import { existsSync } from 'node:fs';
import net from 'node:net';
import { databaseUrl, redisUrl } from '../../config/urls.ts';
import { maintenanceClient } from '../../db/connect.ts';
import type { ServiceProvision } from './provided.ts';
import { errorMessage } from '../../lib/errors.ts';

export interface StartedService extends ServiceProvision {
  stop(): Promise<void>;
}

const noStop = async (): Promise<void> => {};

async function postgresAnswers(url: string): Promise<string> {
  try {
    const client = await maintenanceClient(url);
    await client.end();
    return '';
  } catch (err) {
    return errorMessage(err);
  }
}

/** Resolves to '' when a Redis at `url` answers PING, else the reason. No client library needed. */
export function redisAnswers(url: string, timeoutMs = 2_000): Promise<string> {
  const u = new URL(url);
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 6379);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`cannot reach Redis at ${host}:${port} (REDIS_URL): timed out`));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      done(`cannot reach Redis at ${host}:${port} (REDIS_URL): ${err.code ?? err.message}`),
    );
    socket.on('connect', () => socket.write('PING\r\n'));
    // Any reply means a Redis is there (+PONG, or -NOAUTH when it wants a password).
    socket.on('data', () => done(''));
  });
}

function dockerAvailable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/** The slice of the testcontainers API used here, so it need not be installed to type-check. */
interface StartedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}
interface GenericContainerLike {
  withEnvironment(env: Record<string, string>): GenericContainerLike;
  withExposedPorts(...ports: number[]): GenericContainerLike;
  withWaitStrategy(strategy: unknown): GenericContainerLike;
  withCommand(command: string[]): GenericContainerLike;
  start(): Promise<StartedContainer>;
}
interface TestcontainersModule {
  GenericContainer: new (image: string) => GenericContainerLike;
  Wait: { forLogMessage(message: RegExp, times?: number): unknown };
}

async function loadTestcontainers(): Promise<TestcontainersModule | string> {
  if (!dockerAvailable()) return 'no Docker engine (no DOCKER_HOST, no /var/run/docker.sock)';
  // A variable specifier keeps tsc and vite from requiring the optional package.
  const name = 'testcontainers';
  try {
    return (await import(name)) as TestcontainersModule;
  } catch {
    return 'Docker is available but testcontainers is not installed (npm i -D testcontainers)';
  }
}

function unavailable(url: string, reason: string): StartedService {
  return { available: false, url, reason, stop: noStop };
}

/** A PostgreSQL server for this test run. */
export async function findPostgres(env: NodeJS.ProcessEnv = process.env): Promise<StartedService> {
  const url = databaseUrl(env);
  const local = await postgresAnswers(url);
  if (!local) return { available: true, url, reason: '', stop: noStop };
  // An explicit DATABASE_URL that does not answer is an error to report, not to paper over.
  if (env.DATABASE_URL) return unavailable(url, local);
  const tc = await loadTestcontainers();
  if (typeof tc === 'string') return unavailable(url, `${local}; ${tc}`);
  const container = await new tc.GenericContainer('postgres:16-alpine')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withExposedPorts(5432)
    .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const containerUrl = `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/tierline`;
  return { available: true, url: containerUrl, reason: '', stop: async () => void (await container.stop()) };
}

/** A Redis server for this test run. */
export async function findRedis(env: NodeJS.ProcessEnv = process.env): Promise<StartedService> {
  const url = redisUrl(env);
  const local = await redisAnswers(url);
  if (!local) return { available: true, url, reason: '', stop: noStop };
  if (env.REDIS_URL) return unavailable(url, local);
  const tc = await loadTestcontainers();
  if (typeof tc === 'string') return unavailable(url, `${local}; ${tc}`);
  const container = await new tc.GenericContainer('redis:7-alpine')
    .withCommand(['redis-server', '--maxmemory-policy', 'noeviction'])
    .withExposedPorts(6379)
    .start();
  const containerUrl = `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
  return { available: true, url: containerUrl, reason: '', stop: async () => void (await container.stop()) };
}
