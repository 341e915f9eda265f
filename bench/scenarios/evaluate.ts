// `evaluate`: `tierline evaluate` (no services) over a seeded history file, as a process:
// wall time including reading and validating every event, and its peak memory.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEventsFile } from '../lib/data.ts';
import { AS_OF, PROGRAM_FILE, runChild, tierline } from '../lib/env.ts';
import { round, stopwatch } from '../lib/stats.ts';

export interface EvaluateOptions {
  seed: number;
  partners: number;
  events: number;
  log(line: string): void;
}

export interface EvaluateResult {
  partners: number;
  events: number;
  seconds: number;
  eventsPerSec: number;
  peakRssMb: number;
}

export async function runEvaluate(o: EvaluateOptions): Promise<EvaluateResult> {
  const path = join(tmpdir(), `tierline-bench-evaluate-${process.pid}.jsonl`);
  try {
    const events = await writeEventsFile(path, o.partners, o.events, o.seed);
    const elapsed = stopwatch();
    const cli = tierline(
      process.env,
      'evaluate',
      ['evaluate', '--program', PROGRAM_FILE, '--events', path, '--as-of', AS_OF],
      'pipe',
    );
    const out = await runChild(cli);
    const seconds = round(elapsed(), 2);
    const printed = out.split('\n').filter(Boolean).length;
    o.log(`evaluate: ${printed} scorecards from ${events} events in ${seconds} s`);
    return { partners: printed, events, seconds, eventsPerSec: round(events / seconds, 0), peakRssMb: cli.peakMb() };
  } finally {
    rmSync(path, { force: true });
  }
}
