// `tierline connectors ingest KIND FILE`: a file of source records into the pipeline, like the
// live endpoints do — FX rates from Postgres, problems dead-lettered, events queued — with
// Salesforce CDC merged onto the record states kept in Postgres (cdc.ts).
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { convertRecords, jsonRecords, sourceOfKind, type Numbered } from '../../domain/connectors/documents.ts';
import type { Mapping } from '../../domain/connectors/mapping.ts';
import { problem } from '../../domain/connectors/outcome.ts';
import type { Queues } from '../../queues/queues.ts';
import { Refusal } from '../errors.ts';
import { loadProgramSet } from '../programs.ts';
import { convertChangeEvents } from './cdc.ts';
import { deliverOutcomes, type Delivered } from './deliver.ts';

export async function ingestConnectorFile(
  db: Kysely<DB>,
  queues: Queues,
  kind: string,
  text: string,
  options: { file: string; mapping: Mapping; now: number },
): Promise<Omit<Delivered, 'problems'> & { problems: Array<{ line: number; reason: string }> }> {
  const source = sourceOfKind(kind);
  if (!source) throw new Refusal(`unknown kind ${JSON.stringify(kind)}`);
  const set = await loadProgramSet(db);
  if (!set) throw new Refusal('no program is loaded (tierline program load)');
  const ctx = { mapping: options.mapping, currency: set.currency, timezone: set.timezone };
  let numbered: Numbered[];
  if (kind === 'salesforce-cdc') {
    const records = jsonRecords(text);
    const values = records.flatMap((r) => ('value' in r ? [r.value] : []));
    const converted = await convertChangeEvents(db, values, ctx);
    let next = 0;
    numbered = records.flatMap((r): Numbered[] =>
      'error' in r
        ? [{ line: r.line, outcome: problem(String(r.line), r.error) }]
        : (converted[next++] ?? []).map((outcome) => ({ line: r.line, outcome })),
    );
  } else {
    const converted = convertRecords(kind, text, ctx);
    if (typeof converted === 'string') throw new Refusal(`${options.file}: ${converted}`);
    numbered = converted;
  }
  const lines = text.split('\n');
  const delivered = await deliverOutcomes(
    db,
    queues,
    numbered.map((n) => n.outcome),
    {
      from: options.file,
      runId: `connectors-${createHash('sha256').update(text).digest('hex')}`,
      source,
      receivedAt: new Date(options.now).toISOString(),
      rawOf: (_o, i) => lines[(numbered[i]?.line ?? 1) - 1] ?? '',
    },
  );
  const problems = delivered.problems.map((p) => ({ line: numbered[p.index]?.line ?? 1, reason: p.reason }));
  return { ...delivered, problems };
}
