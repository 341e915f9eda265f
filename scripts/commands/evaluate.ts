// `tierline evaluate`: the pure batch reference. Needs no services; prints one scorecard per
// partner as JSON Lines sorted by partnerId. Invalid events are listed on stderr (file:line:
// reason) and make the exit code 1, after every valid partner's scorecard has been printed.
import type { Command } from 'commander';
import { parseDay } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import type { ReviewDecision } from '../../domain/reviews.ts';
import { CliError } from '../lib/errors.ts';
import { foldEventsFile, reportInvalidEvents } from '../lib/events-file.ts';
import { readProgramFiles } from '../lib/program-files.ts';
import { reportMissingOptionsTogether } from '../lib/required-options.ts';
import { readOverrides, readReviews } from '../lib/side-files.ts';

interface EvaluateOptions {
  program: string[];
  events: string;
  asOf: string;
  partner?: string;
  overrides?: string;
  reviews?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export async function runEvaluate(
  options: EvaluateOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const asOf = parseDay(options.asOf);
  if (asOf === undefined)
    throw new CliError(`--as-of: expected a date YYYY-MM-DD, got ${JSON.stringify(options.asOf)}`);
  const program = await readProgramFiles(options.program);
  const overrides = options.overrides ? await readOverrides(options.overrides) : new Map<string, OverrideRule[]>();
  const reviews = options.reviews ? await readReviews(options.reviews) : new Map<string, ReviewDecision[]>();
  const batch = new BatchEvaluation(program);
  await foldEventsFile(batch, options.events);
  const ids = options.partner ? batch.partnerIds().filter((id) => id === options.partner) : batch.partnerIds();
  let buffer = '';
  for (const id of ids) {
    const evaluation = batch.evaluate(id, asOf, overrides.get(id) ?? [], reviews.get(id) ?? []);
    if (evaluation) buffer += `${JSON.stringify(evaluation.scorecard)}\n`;
    if (buffer.length > 1 << 16) {
      out.write(buffer);
      buffer = '';
    }
  }
  out.write(buffer);
  return reportInvalidEvents(batch, options.events, err) ? 1 : 0;
}

export function registerEvaluate(program: Command): void {
  const evaluate = program
    .command('evaluate')
    .description('evaluate a file of events against a program, with no services (the reference)')
    .requiredOption('--program <file>', 'program file (JSON or YAML); repeat for several versions', collect)
    .requiredOption('--events <file>', 'events as JSON Lines')
    .requiredOption('--as-of <date>', 'the day to evaluate, YYYY-MM-DD')
    .option('--partner <id>', 'only this partner')
    .option('--overrides <file>', 'manual overrides as JSON Lines')
    .option('--reviews <file>', 'demotion review decisions as JSON Lines')
    .action(async (options: EvaluateOptions) => {
      process.exitCode = await runEvaluate(options);
    });
  reportMissingOptionsTogether(evaluate);
}
