// The one poll loop of the tests and the chaos harness: it waits for a condition by
// asking again, never by sleeping a fixed time and hoping. (vi.waitFor retries on a thrown
// error, which would hide a child that died; this fails at once unless told otherwise.)
import { setTimeout as delay } from 'node:timers/promises';

export interface PollOptions {
  /** Treat an error thrown by `check` as "not yet" (the last one is named at the deadline). */
  retryErrors?: boolean;
}

/** Polls `check` until it returns a value other than undefined, or fails at the deadline. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 25,
  { retryErrors = false }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (!retryErrors) throw error;
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last !== undefined ? ` (${String(last)})` : ''}`,
      );
    await delay(everyMs);
  }
}
