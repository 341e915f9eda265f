// The micro-batcher behind ingest and recompute wake-ups: each submitter gets its own slice
// of the results, a flush never exceeds maxItems (whole submissions), and with maxInFlight
// the items that arrive while flushes are running wait and then go together (group commit).
import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../../workers/micro-batcher.ts';

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('MicroBatcher', () => {
  it('gives each submitter the results of its own items, in order', async () => {
    const flushed: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      maxItems: 100,
      maxWaitMs: 1,
      flush: async (items) => (flushed.push(items), items.map((n) => n * 10)),
    });
    const [a, b] = await Promise.all([batcher.submit([1, 2]), batcher.submit([3])]);
    expect(a).toEqual([10, 20]);
    expect(b).toEqual([30]);
    expect(flushed).toEqual([[1, 2, 3]]);
  });

  it('flushes at maxItems without waiting for the timer, whole submissions at a time', async () => {
    const flushed: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      maxItems: 3,
      maxWaitMs: 60_000,
      flush: async (items) => (flushed.push(items), items),
    });
    const done = Promise.all([batcher.submit([1, 2]), batcher.submit([3, 4]), batcher.submit([5])]);
    await done;
    // [1, 2] + [3, 4] pass maxItems: both go at once, one flush each; [5] goes when a flush ends.
    expect(flushed).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('holds what arrives while maxInFlight flushes run, then sends it as one batch', async () => {
    const flushed: number[][] = [];
    const gates = [gate(), gate()];
    let running = 0;
    let most = 0;
    const batcher = new MicroBatcher<number, number>({
      maxItems: 100,
      maxWaitMs: 0,
      maxInFlight: 2,
      flush: async (items) => {
        flushed.push(items);
        running++;
        most = Math.max(most, running);
        await (gates[flushed.length - 1]?.promise ?? Promise.resolve());
        running--;
        return items;
      },
    });
    const first = batcher.submit([1]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = batcher.submit([2]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = [batcher.submit([3]), batcher.submit([4]), batcher.submit([5])];
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(flushed).toEqual([[1], [2]]);
    gates[0]?.open();
    await first;
    gates[1]?.open();
    await Promise.all([second, ...later]);
    expect(flushed).toEqual([[1], [2], [3, 4, 5]]);
    expect(most).toBe(2);
  });

  it('rejects every submitter of a failed flush, and goes on with the next', async () => {
    let calls = 0;
    const batcher = new MicroBatcher<number, number>({
      maxItems: 100,
      maxWaitMs: 1,
      flush: async (items) => {
        calls++;
        if (calls === 1) throw new Error('database gone');
        return items;
      },
    });
    const failed = [batcher.submit([1]), batcher.submit([2])];
    await expect(Promise.all(failed)).rejects.toThrow('database gone');
    await expect(failed[1]).rejects.toThrow('database gone');
    await expect(batcher.submit([3])).resolves.toEqual([3]);
  });
});
