// Validation, canonical JSON and hashing of the bulk path (`ingest --backfill`) in worker
// threads (node:worker_threads, no pool library: a handful of long-lived threads, one batch
// per message). The batches come back in the order asked for; each is the PreparedBatch
// prepareEventBatch would have made (addPrepared), so what is stored does not change. With
// no thread (one CPU, or threads: 0) a batch is prepared on the calling thread.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventContext } from '../../domain/events/schema.ts';
import type { PrepareReply, PrepareRequest } from './prepare-worker.ts';
import { addPrepared, emptyBatch, prepareEventBatch, type Incoming, type PreparedBatch } from './prepare.ts';

export interface PreparePool {
  /** The batch validated and fingerprinted (in a thread when there is one). */
  prepare(items: Incoming[]): Promise<PreparedBatch>;
  close(): Promise<void>;
}

/** Threads for a backfill: one per CPU beside the one reading the file and talking to Postgres, at most 3. */
export const defaultPrepareThreads = (): number => Math.min(3, Math.max(0, availableParallelism() - 1));

/** tsx's ESM API (import.meta.resolve where the runner provides it, else from tsx's package.json). */
function resolveTsx(here: string): string {
  const resolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolve === 'function') return resolve('tsx/esm/api');
  const manifest = createRequire(here).resolve('tsx/package.json');
  const exports = (createRequire(here)(manifest) as { exports: Record<string, { import: { default: string } }> })
    .exports;
  return new URL((exports['./esm/api'] as { import: { default: string } }).import.default, pathToFileURL(manifest))
    .href;
}

function startWorker(ctx: EventContext): Worker {
  const here = import.meta.url;
  // From dist/ the thread runs the compiled module; from the sources (tsx, vitest) it
  // registers tsx first, as bin/tierline.js does for the main thread.
  if (!here.endsWith('.ts')) return new Worker(new URL('./prepare-worker.js', here), { workerData: { ctx } });
  const tsx = resolveTsx(here);
  const entry = new URL('./prepare-worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsx)})
    .then((m) => (m.register ?? m.default.register)())
    .then(() => import(${JSON.stringify(entry)}))`;
  return new Worker(boot, { eval: true, workerData: { ctx } });
}

interface Waiting {
  items: Incoming[];
  resolve(batch: PreparedBatch): void;
  reject(error: unknown): void;
}

export function openPreparePool(ctx: EventContext, threads = defaultPrepareThreads()): PreparePool {
  if (threads <= 0)
    return { prepare: (items) => Promise.resolve(prepareEventBatch(ctx, items)), close: async () => {} };
  const waiting = new Map<number, Waiting>();
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  const workers = Array.from({ length: threads }, () => {
    const worker = startWorker(ctx);
    worker.on('message', (reply: PrepareReply) => {
      const w = waiting.get(reply.id);
      if (!w) return;
      waiting.delete(reply.id);
      const batch = emptyBatch();
      w.items.forEach((item, i) => addPrepared(batch, ctx, item, reply.lines[i] ?? null));
      w.resolve(batch);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (waiting.size > 0) fail(new Error(`a backfill preparation thread exited (code ${code})`));
    });
    return worker;
  });
  let nextId = 0;
  return {
    prepare(items) {
      if (failure !== undefined) return Promise.reject(failure);
      const id = nextId++;
      const parts = items.map((item) => (typeof item.raw === 'string' ? Buffer.from(item.raw, 'utf8') : item.raw));
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      const ends = new Uint32Array(parts.length);
      let at = 0;
      parts.forEach((p, i) => {
        bytes.set(p, at);
        at += p.byteLength;
        ends[i] = at;
      });
      return new Promise<PreparedBatch>((resolve, reject) => {
        waiting.set(id, { items, resolve, reject });
        const request: PrepareRequest = { id, bytes, ends };
        (workers[id % workers.length] as Worker).postMessage(request, [bytes.buffer, ends.buffer]);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
