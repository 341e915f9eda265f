// Folding a JSON Lines events file into a batch evaluation (evaluate, finance, whatif without
// the database): an unreadable file is one line and exit 1.
import type { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { CliError, describeError } from './errors.ts';
import { readLines } from './lines.ts';

export async function foldEventsFile(batch: BatchEvaluation, path: string): Promise<void> {
  try {
    for await (const line of readLines(path)) batch.addLine(line);
  } catch (error) {
    throw new CliError(`cannot read events file ${path}: ${describeError(error)}`, 1, { cause: error });
  }
}

/** `FILE:N: invalid event: reason` per invalid line, and a count; returns whether there were any. */
export function reportInvalidEvents(batch: BatchEvaluation, path: string, err: NodeJS.WritableStream): boolean {
  for (const { line, reason } of batch.invalid) err.write(`${path}:${line}: invalid event: ${reason}\n`);
  if (batch.invalid.length === 0) return false;
  err.write(`${batch.invalid.length} invalid event${batch.invalid.length === 1 ? '' : 's'} skipped in ${path}\n`);
  return true;
}
