// `tierline connectors check M.yaml` and `tierline connectors convert KIND FILE --program P
// [--mapping M] [--fx R]` (docs/connectors.md): the mapping file validated, and a source
// system's records converted to §4 events with no services — the way to try a mapping before
// going live. Problems go to stderr as `FILE:N: reason` and make the exit code 1.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { convertDocument, isKnownKind, KIND_HELP } from '../../domain/connectors/documents.ts';
import { fxTable, parseRatesCsv, type FxRate } from '../../domain/connectors/fx.ts';
import { loadMapping, type Mapping } from '../../domain/connectors/mapping.ts';
import { readVariable } from '../../config/env.ts';
import { ingestConnectorFile } from '../../services/connectors/ingest-file.ts';
import { CliError, describeError, refusalsAsCliErrors } from '../lib/errors.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';
import { readProgramFiles } from '../lib/program-files.ts';
import { reportMissingOptionsTogether } from '../lib/required-options.ts';

interface ConvertOptions {
  program: string[];
  mapping?: string;
  fx?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${describeError(error)}`, 1, { cause: error });
  }
}

export async function readMapping(path: string): Promise<Mapping> {
  const loaded = loadMapping(await readText(path, 'mapping file'));
  if (!loaded.ok)
    throw new CliError(
      `invalid mapping ${path} (${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}):\n  ${loaded.problems.join('\n  ')}`,
    );
  return loaded.value;
}

export async function readRates(path: string): Promise<FxRate[]> {
  const parsed = parseRatesCsv(await readText(path, 'rates file'));
  if (parsed.problems.length > 0)
    throw new CliError(`invalid rates file ${path}:\n  ${parsed.problems.map((p) => `${path}:${p}`).join('\n  ')}`);
  return parsed.rates;
}

export interface ConvertSummary {
  events: number;
  skipped: number;
  problems: number;
}

export async function runConvert(
  kind: string,
  file: string,
  options: ConvertOptions,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  err: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<ConvertSummary> {
  if (!isKnownKind(kind)) throw new CliError(`unknown kind ${JSON.stringify(kind)}: expected ${KIND_HELP}`);
  const set = await readProgramFiles(options.program);
  const mapping = options.mapping ? await readMapping(options.mapping) : {};
  const rates = options.fx ? await readRates(options.fx) : [];
  const text = await readText(file, 'file');
  const ctx = { mapping, currency: set.currency, timezone: set.timezone };
  const results = convertDocument(kind, text, ctx, fxTable(rates));
  if (typeof results === 'string') {
    err(`${file}:1: ${results}`);
    return { events: 0, skipped: 0, problems: 1 };
  }
  const summary: ConvertSummary = { events: 0, skipped: 0, problems: 0 };
  for (const { line, outcome } of results) {
    if (outcome.kind === 'event') {
      summary.events++;
      out(JSON.stringify(outcome.event));
    } else if (outcome.kind === 'skipped') summary.skipped++;
    else {
      summary.problems++;
      err(`${file}:${line}: ${outcome.ref}: ${outcome.reason}`);
    }
  }
  err(`${summary.events} events, ${summary.skipped} skipped (not partner business), ${summary.problems} problems`);
  return summary;
}

export function registerConnectors(program: Command): void {
  const connectors = program
    .command('connectors')
    .description('convert what Salesforce, HubSpot, Stripe and an LMS send into events (mapping file)');
  connectors
    .command('check <mapping>')
    .description('validate a connectors mapping file (YAML): every problem by path')
    .action(async (path: string) => {
      const mapping = await readMapping(path);
      const sections = (['salesforce', 'hubspot', 'stripe', 'xapi'] as const).filter((s) => mapping[s] !== undefined);
      console.log(
        `valid: ${sections.length > 0 ? sections.join(', ') : 'no source sections'}; ${Object.keys(mapping.partners ?? {}).length} partner ids mapped`,
      );
    });
  const convert = connectors
    .command('convert <kind> <file>')
    .description(`print a file of source records as events (JSON Lines); kind: ${KIND_HELP}`)
    .requiredOption('--program <file>', 'program file (JSON or YAML): its currency and timezone; repeatable', collect)
    .option('--mapping <file>', 'the connectors mapping file (YAML)')
    .option('--fx <file>', 'FX rates as CSV: date,currency,rate (program-currency units per unit)')
    .action(async (kind: string, file: string, options: ConvertOptions) => {
      const summary = await runConvert(kind, file, options);
      process.exitCode = summary.problems > 0 ? 1 : 0;
    });
  reportMissingOptionsTogether(convert);
  connectors
    .command('ingest <kind> <file>')
    .description('put a file of source records on the ingest queues: stored FX rates, CDC state kept in Postgres')
    .option('--mapping <file>', 'the connectors mapping file (YAML); default TIERLINE_CONNECTORS')
    .action(async (kind: string, file: string, options: { mapping?: string }) => {
      process.exitCode = await runIngest(kind, file, options);
    });
}

export async function runIngest(
  kind: string,
  file: string,
  options: { mapping?: string },
  out: (line: string) => void = console.log,
  err: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<number> {
  if (!isKnownKind(kind)) throw new CliError(`unknown kind ${JSON.stringify(kind)}: expected ${KIND_HELP}`);
  const mappingPath = options.mapping ?? readVariable('TIERLINE_CONNECTORS');
  if (!mappingPath) throw new CliError('no mapping: give --mapping or set TIERLINE_CONNECTORS');
  const mapping = await readMapping(mappingPath);
  const text = await readText(file, 'file');
  const db = await openDatabase();
  try {
    const services = await openQueueServices('producer');
    try {
      const result = await refusalsAsCliErrors(() =>
        ingestConnectorFile(db, services.queues, kind, text, { file, mapping, now: Date.now() }),
      );
      for (const p of result.problems) err(`${file}:${p.line}: ${p.reason}`);
      out(
        `${result.accepted} events queued, ${result.skipped} skipped (not partner business), ${result.deadLettered} dead-lettered (tierline dlq list)`,
      );
      return result.deadLettered > 0 ? 1 : 0;
    } finally {
      await services.close();
    }
  } finally {
    await db.destroy();
  }
}
