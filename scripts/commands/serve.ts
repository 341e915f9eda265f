// `tierline serve [--port 8080] [--host 127.0.0.1]`: the HTTP receiver for the source systems
// (signed webhooks onto the ingest queues) and /healthz. Runs until SIGINT/SIGTERM, then
// stops accepting, lets in-flight requests finish (up to TIERLINE_SHUTDOWN_TIMEOUT_MS),
// closes the queues and the database, and exits 0.
import { Option, type Command } from 'commander';
import { secretsFromEnv } from '../../workers/http/config.ts';
import { buildServer } from '../../workers/http/server.ts';
import { connectorSettingsFromEnv, type ConnectorSettings } from '../../workers/http/connectors/settings.ts';
import { ConfigError } from '../../config/env.ts';
import { createLogger } from '../../workers/logger.ts';
import { CliError, describeError } from '../lib/errors.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';
import { startupConfig } from '../lib/startup-config.ts';
import { setTimeout as sleep } from 'node:timers/promises';

interface ServeOptions {
  port?: string;
  host?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 0 || port > 65_535)
    throw new CliError(`--port: expected a port number 0-65535, got ${JSON.stringify(value)}`);
  return port;
}

/** The connectors' settings; a bad mapping file stops serve at start-up in one line. */
function connectorSettingsOrExit(): ConnectorSettings {
  try {
    return connectorSettingsFromEnv();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
}

export async function runServe(options: ServeOptions): Promise<void> {
  const config = startupConfig();
  const port = options.port === undefined ? config.PORT : parsePort(options.port);
  const host = options.host?.trim() || config.HOST;
  const timeoutMs = config.TIERLINE_SHUTDOWN_TIMEOUT_MS;
  const bodyLimit = config.TIERLINE_HTTP_BODY_LIMIT;
  const secrets = secretsFromEnv();
  const connectors = connectorSettingsOrExit();
  const log = createLogger('tierline-serve');

  const db = await openDatabase();
  const services = await openQueueServices('producer').catch(async (error: unknown) => {
    await db.destroy();
    throw error;
  });
  const closeServices = async (): Promise<void> => {
    await services
      .close()
      .catch((error: unknown) => log.warn({ reason: describeError(error) }, 'closing the queues failed'));
    await db
      .destroy()
      .catch((error: unknown) => log.warn({ reason: describeError(error) }, 'closing the database failed'));
  };

  const app = buildServer({
    queues: services.queues,
    db,
    secrets,
    log,
    bodyLimit,
    redis: services.connection,
    connectors,
  });
  let address: string;
  try {
    address = await app.listen({ port, host });
  } catch (error) {
    await app.close().catch(() => {});
    await closeServices();
    throw new CliError(`cannot listen on ${host}:${port}: ${describeError(error)}`, 1, { cause: error });
  }
  log.info({ address, bodyLimit, sources: Object.keys(secrets) }, `tierline serve listening on ${address}`);

  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info({ signal }, 'stopping: finishing in-flight requests');
  // Requests still running after the timeout (a slow upload, say) are cut off.
  const closedInTime = new AbortController();
  sleep(timeoutMs, undefined, { ref: false, signal: closedInTime.signal }).then(
    () => {
      log.warn({ timeoutMs }, 'in-flight requests did not finish in time; closing their connections');
      app.server.closeAllConnections();
    },
    () => {}, // closed in time
  );
  try {
    await app.close();
  } finally {
    closedInTime.abort();
    await closeServices();
  }
  log.info('receiver stopped');
  process.exitCode = 0;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run the HTTP receiver (signed webhooks), the partner pages, the console and /healthz until SIGINT/SIGTERM',
    )
    .addOption(new Option('--port <port>', 'port to listen on (default: PORT, else 8080)'))
    .addOption(new Option('--host <host>', 'address to listen on (default: HOST, else 127.0.0.1)'))
    .action(async (options: ServeOptions) => runServe(options));
}
