// A progress bar on a terminal (cli-progress), silence elsewhere: logs and CI output stay clean.
import { statSync } from 'node:fs';
import cliProgress from 'cli-progress';

export interface Progress {
  update(bytes: number, events: number): void;
  stop(): void;
}

export function fileProgress(path: string, label: string): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const total = statSync(path).size;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {events} events | {eta_formatted} left`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { events: 0 });
  let last = 0;
  return {
    update(bytes, events) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      bar.update(bytes, { events });
    },
    stop() {
      bar.update(total);
      bar.stop();
    },
  };
}
