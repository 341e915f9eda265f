// `tierline evaluate`: the pure batch reference. Needs no services; prints one scorecard per
// partner as JSON Lines sorted by partnerId. Invalid events are listed on stderr (file:line:
// reason) and make the exit code 1, after every valid partner's scorecard has been printed.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseDay } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import { parseOverride } from '../../domain/overrides.ts';
import { parseReviewDecision, type ReviewDecision } from '../../domain/reviews.ts';
import { CliError, describeError } from '../lib/errors.ts';
import { foldEventsFile, reportInvalidEvents } from '../lib/events-file.ts';
import { readProgramFiles } from '../lib/program-files.ts';
import { reportMissingOptionsTogether } from '../lib/required-options.ts';

interface EvaluateOptions {
  program: string[];
  events: string;
  asOf: string;
  partner?: string;
  overrides?: string;
  reviews?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

type LineParse<T> = { ok: true; partnerId: string; value: T } | { ok: false; reason: string };

/**
 * A JSON Lines side file (overrides, review decisions) grouped by partner, file order kept.
 * Bad lines are refused as `FILE:N: reason`, one line each (after a heading when `heading`).
 */
async function readPartnerLines<T>(
  path: string,
  what: string,
  parse: (raw: unknown) => LineParse<T>,
  heading: boolean,
): Promise<Map<string, T[]>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} file ${path}: ${describeError(error)}`, 1, { cause: error });
  }
  const byPartner = new Map<string, T[]>();
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      problems.push(`${path}:${i + 1}: not JSON`);
      return;
    }
    const parsed = parse(raw);
    if (!parsed.ok) problems.push(`${path}:${i + 1}: ${parsed.reason}`);
    else {
      const list = byPartner.get(parsed.partnerId);
      if (list) list.push(parsed.value);
      else byPartner.set(parsed.partnerId, [parsed.value]);
    }
  });
  if (problems.length > 0)
    throw new CliError(heading ? `invalid ${what}:\n  ${problems.join('\n  ')}` : problems.join('\n'));
  return byPartner;
}

const readOverrides = (path: string) =>
  readPartnerLines<OverrideRule>(
    path,
    'overrides',
    (raw) => {
      const parsed = parseOverride(raw);
      return parsed.ok ? { ok: true, partnerId: parsed.partnerId, value: parsed.rule } : parsed;
    },
    true,
  );

const readReviews = (path: string) =>
  readPartnerLines<ReviewDecision>(
    path,
    'review decisions',
    (raw) => {
      const parsed = parseReviewDecision(raw);
      return parsed.ok ? { ok: true, partnerId: parsed.decision.partnerId, value: parsed.decision } : parsed;
    },
    false,
  );

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
