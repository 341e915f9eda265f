// `tierline whatif --draft DRAFT [--as-of D] [--json]`: a draft program as if it alone had been
// in force for all history, beside the current one, per partner; nothing is stored. From the
// database (the current side is the stored scorecard), or pure with `--program/--events` like
// `evaluate` (then --as-of is required; no overrides or review decisions on either side).
import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { formatDay, parseDay, type Day } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { evaluatePartner } from '../../domain/evaluation/scorecard.ts';
import { loadDraft } from '../../domain/program/draft.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import { WhatIfTally, matrixTiers, whatIfBlock, type WhatIfLine, type WhatIfSummary } from '../../domain/whatif.ts';
import { whatIfFromDatabase } from '../../services/whatif.ts';
import { today } from '../../workers/clock.ts';
import { CliError, describeError, refusalsAsCliErrors } from '../lib/errors.ts';
import { foldEventsFile, reportInvalidEvents } from '../lib/events-file.ts';
import { readProgramFiles } from '../lib/program-files.ts';
import { reportMissingOptionsTogether } from '../lib/required-options.ts';
import { openDatabase } from '../lib/services.ts';

interface WhatIfOptions {
  draft: string;
  asOf?: string;
  json?: boolean;
  program?: string[];
  events?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
/** Partners listed by name in the human output; --json lists them all. */
const MOVED_SHOWN = 50;

async function readDraft(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read draft file ${path}: ${describeError(error)}`, 1, { cause: error });
  }
}

function draftRefused(problems: readonly string[]): CliError {
  return new CliError(
    `draft refused (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
  );
}

export function describeWhatIf(summary: WhatIfSummary, sets: readonly ProgramSet[], asOf: Day): string {
  const lines = [`What-if as of ${formatDay(asOf)}: ${summary.partners} partner${summary.partners === 1 ? '' : 's'}`];
  for (const [track, rows] of [...summary.matrix].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const tiers = matrixTiers(sets, track, rows);
    const width = Math.max(10, ...tiers.map((t) => t.length)) + 2;
    lines.push('', `track ${track} (rows: current tier; columns: draft tier)`);
    lines.push(`${''.padEnd(width)}${tiers.map((t) => t.padStart(width)).join('')}`);
    for (const from of tiers.filter((t) => rows.has(t)))
      lines.push(
        `${from.padEnd(width)}${tiers.map((to) => String(rows.get(from)?.get(to) ?? 0).padStart(width)).join('')}`,
      );
  }
  lines.push('', `partners that move: ${summary.moved.length}`);
  for (const m of summary.moved.slice(0, MOVED_SHOWN))
    lines.push(
      `  ${m.partnerId}: ${m.current.track ?? '(none)'} ${m.current.effectiveTier ?? '(none)'} → ${m.draft.track ?? '(none)'} ${m.draft.effectiveTier ?? '(none)'}`,
    );
  if (summary.moved.length > MOVED_SHOWN)
    lines.push(`  … and ${summary.moved.length - MOVED_SHOWN} more (--json lists every partner)`);
  const ledger = (l: WhatIfSummary['current']) => `commission ${l.commission}, mdf ${l.mdf}, rebate ${l.rebate}`;
  lines.push(
    '',
    `ledger, current program: ${ledger(summary.current)}`,
    `ledger, draft:           ${ledger(summary.draft)}`,
    `difference (draft − current): ${ledger(summary.difference)}`,
  );
  return `${lines.join('\n')}\n`;
}

function parseOptions(options: WhatIfOptions): Day | undefined {
  const asOf = options.asOf === undefined ? undefined : parseDay(options.asOf);
  if (options.asOf !== undefined && asOf === undefined)
    throw new CliError(`--as-of: expected a date YYYY-MM-DD, got ${JSON.stringify(options.asOf)}`);
  const pure = options.program !== undefined || options.events !== undefined;
  if (pure && (options.program === undefined || options.events === undefined || asOf === undefined))
    throw new CliError('without the database, give --program, --events and --as-of together (as for evaluate)');
  return asOf;
}

function progressBar(): { update(done: number, total: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: 'what-if [{bar}] {value}/{total} partners | {eta_formatted} left',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

export async function runWhatIf(
  options: WhatIfOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const asOf = parseOptions(options);
  const draftText = await readDraft(options.draft);
  const emit = (tally: WhatIfTally, lines: readonly WhatIfLine[]): void => {
    let text = '';
    for (const line of lines) {
      tally.add(line);
      if (options.json) text += `${JSON.stringify(line)}\n`;
    }
    if (text) out.write(text);
  };
  if (options.program && options.events && asOf !== undefined) {
    const program = await readProgramFiles(options.program);
    const loaded = loadDraft(draftText, program);
    if (!loaded.ok) throw draftRefused(loaded.problems);
    const batch = new BatchEvaluation(program);
    await foldEventsFile(batch, options.events);
    const tally = new WhatIfTally(program.digits);
    for (const id of batch.partnerIds()) {
      const facts = batch.folder.partners.get(id);
      const current = batch.evaluate(id, asOf);
      if (!facts || !current) continue;
      emit(tally, [
        {
          partnerId: id,
          current: whatIfBlock(current.scorecard),
          draft: whatIfBlock(evaluatePartner(loaded.value, facts, asOf).scorecard),
        },
      ]);
    }
    if (!options.json) out.write(describeWhatIf(tally.summary(), [program, loaded.value], asOf));
    return reportInvalidEvents(batch, options.events, err) ? 1 : 0;
  }
  const db = await openDatabase();
  const bar = progressBar();
  try {
    let tally = new WhatIfTally(2);
    const run = await refusalsAsCliErrors(() =>
      whatIfFromDatabase(db, draftText, asOf ?? ((tz: string) => today(tz)), {
        onStart: (r) => (tally = new WhatIfTally(r.program.digits)),
        onLines: (lines) => emit(tally, lines),
        onProgress: (done, total) => bar.update(done, total),
      }),
    );
    bar.stop();
    if (!options.json) out.write(describeWhatIf(tally.summary(), [run.program, run.draft], run.asOf));
    return 0;
  } finally {
    bar.stop();
    await db.destroy();
  }
}

export function registerWhatIf(program: Command): void {
  const whatif = program
    .command('whatif')
    .description('a draft program against real history, beside the current one; nothing is stored')
    .requiredOption('--draft <file>', 'the draft program version (JSON or YAML; one version)')
    .option('--as-of <date>', 'the day to evaluate, YYYY-MM-DD (default today)')
    .option('--json', 'one JSON object per partner: its current and draft track, effective tier and ledger')
    .option('--program <file>', 'without the database: program file(s), as for evaluate', collect)
    .option('--events <file>', 'without the database: events as JSON Lines, as for evaluate')
    .action(async (options: WhatIfOptions) => {
      process.exitCode = await runWhatIf(options);
    });
  reportMissingOptionsTogether(whatif);
}
