// Gathers the items of concurrently running jobs for a few milliseconds and flushes them
// together, so a burst of small jobs costs a handful of set-based transactions rather than
// one transaction each. Each submitter gets back its own slice of the results.
export interface MicroBatcherOptions<I, R> {
  maxItems: number;
  maxWaitMs: number;
  /**
   * Flushes running at once. Past it, items gather until one finishes: under load the
   * batches grow instead of the transactions multiplying (group commit).
   */
  maxInFlight?: number;
  flush(items: I[]): Promise<R[]>;
}

interface Pending<I, R> {
  items: I[];
  resolve(results: R[]): void;
  reject(error: unknown): void;
}

export class MicroBatcher<I, R> {
  private queue: Pending<I, R>[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** The wait of the gathered items is over; they go as soon as a flush may start. */
  private due = false;

  constructor(private readonly options: MicroBatcherOptions<I, R>) {}

  submit(items: I[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.size += items.length;
      if (this.size >= this.options.maxItems) this.due = true;
      else this.timer ??= setTimeout(() => ((this.due = true), this.tryFlush()), this.options.maxWaitMs);
      this.tryFlush();
    });
  }

  private tryFlush(): void {
    if (!this.due || this.queue.length === 0 || this.inFlight >= (this.options.maxInFlight ?? Infinity)) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    const batch: Pending<I, R>[] = [];
    let taken = 0;
    // At most maxItems (whole submissions) per flush; the rest stay due for the next one.
    while (
      this.queue.length > 0 &&
      (taken === 0 || taken + (this.queue[0] as Pending<I, R>).items.length <= this.options.maxItems)
    ) {
      const p = this.queue.shift() as Pending<I, R>;
      taken += p.items.length;
      batch.push(p);
    }
    this.size -= taken;
    if (this.queue.length > 0) this.due = true;
    this.inFlight++;
    this.options
      .flush(batch.flatMap((p) => p.items))
      .then(
        (results) => {
          let offset = 0;
          for (const p of batch) {
            p.resolve(results.slice(offset, offset + p.items.length));
            offset += p.items.length;
          }
        },
        (error: unknown) => {
          for (const p of batch) p.reject(error);
        },
      )
      .finally(() => {
        this.inFlight--;
        // What gathered meanwhile has waited at least as long as a flush: it goes now.
        if (this.queue.length > 0) this.due = true;
        this.tryFlush();
      });
    this.tryFlush();
  }
}
