// What `tierline demo` (scripts/commands/demo.ts) knows of the demo without loading it: the
// defaults its --help shows, the options as commander hands them over and the entry point of
// tools/demo/run.ts. The demo is a development tool: the production build leaves tools/ out.

/** The day the demo pins "today" to: the generated history ends there. */
export const DEMO_TODAY = '2026-11-23';
export const DEFAULT_DATABASE = 'tierline_demo';
export const DEFAULT_QUEUE_PREFIX = '{tierline-demo}';

export interface RawDemoOptions {
  duration: string;
  partners: string;
  seed: string;
  rate: string;
  dayEvery: string;
  database: string;
  queuePrefix: string;
  dataDir: string;
}

/** tools/demo/run.ts as the command loads it. */
export interface DemoEntry {
  /** Checks the options (CliError naming the bad one), then runs the demo to its end. */
  runDemoCommand(raw: RawDemoOptions): Promise<void>;
}
