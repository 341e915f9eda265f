// A registry of things a test opens that keep a process alive or hold server
// resources (Kysely pools now; Redis connections and BullMQ workers later). A
// test that forgets to close one fails, instead of making the run hang or the
// next test flaky. leak-hooks.ts wires the checks into every test file.
import type { Kysely } from 'kysely';

export interface Resource {
  /** e.g. 'kysely', 'redis', 'bullmq-worker'. */
  kind: string;
  label: string;
  close(): Promise<void>;
}

interface Entry extends Resource {
  /** Opened inside a test (must be closed by its end) or outside (by the end of the file). */
  scope: 'test' | 'file';
}

const open = new Set<Entry>();
let insideTest = false;

/** Registers an open resource; call the returned function once it is closed. */
export function track(resource: Resource): () => void {
  const entry: Entry = { ...resource, scope: insideTest ? 'test' : 'file' };
  open.add(entry);
  return () => void open.delete(entry);
}

/** Tracks a Kysely instance until its destroy() is called. */
export function trackKysely<T>(db: Kysely<T>, label: string): Kysely<T> {
  const destroy = db.destroy.bind(db);
  const release = track({ kind: 'kysely', label, close: destroy });
  db.destroy = async () => {
    release();
    await destroy();
  };
  return db;
}

/** What is open right now, as 'kind label' strings. */
export function openResources(): string[] {
  return [...open].map((e) => `${e.kind} ${e.label}`);
}

export function enterTest(): void {
  insideTest = true;
}

async function closeAndReport(entries: Entry[], when: string): Promise<void> {
  if (entries.length === 0) return;
  // Close them first so one leak does not hang the worker or cascade into other tests.
  for (const entry of entries) {
    open.delete(entry);
    await entry.close().catch(() => {});
  }
  const names = entries.map((e) => `${e.kind} ${e.label}`).join(', ');
  throw new Error(`left open ${when}: ${names} (close it in the test or its afterEach/afterAll)`);
}

/** For afterEach: fails when the test that just ran left something open. */
export async function assertNoTestLeaks(): Promise<void> {
  insideTest = false;
  await closeAndReport(
    [...open].filter((e) => e.scope === 'test'),
    'by this test',
  );
}

/** For afterAll: fails when anything is still open at the end of the file. */
export async function assertNoLeaks(): Promise<void> {
  await closeAndReport([...open], 'at the end of this file');
}
