// Gathers the items of concurrently running jobs for a few milliseconds and flushes them
// together, so a burst of small jobs costs a handful of set-based transactions rather than
// one transaction each. Each submitter gets back its own slice of the results.
export interface MicroBatcherOptions<I, R> {
  maxItems: number;
  maxWaitMs: number;
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

  constructor(private readonly options: MicroBatcherOptions<I, R>) {}

  submit(items: I[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.size += items.length;
      if (this.size >= this.options.maxItems) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), this.options.maxWaitMs);
    });
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.size = 0;
    if (batch.length === 0) return;
    this.options.flush(batch.flatMap((p) => p.items)).then(
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
    );
  }
}
