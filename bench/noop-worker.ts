// The e2e baseline's worker process: the same Worker settings and concurrency as an ingest
// worker on one source queue, with an empty processor. Runs until SIGTERM.
import { Worker } from 'bullmq';
import { QUEUES } from '../queues/catalog.ts';
import { checkRedis, openRedis, queueSettings } from '../queues/connection.ts';
import { CONCURRENCY, WORKER_SETTINGS } from '../workers/runner.ts';

const settings = queueSettings();
const connection = openRedis(settings, 'worker');
await checkRedis(connection, settings);
const worker = new Worker(QUEUES.crm, async () => ({ accepted: 1 }), {
  connection,
  prefix: settings.prefix,
  concurrency: CONCURRENCY.crm,
  ...WORKER_SETTINGS,
});
await worker.waitUntilReady();
process.stdout.write('workers started\n');
process.once('SIGTERM', () => {
  void worker.close().then(() => connection.quit());
});
