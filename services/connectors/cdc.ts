// Salesforce Change Data Capture in the pipeline (SPEC §13): each change event is merged onto
// the record's last known state kept in Postgres (connector_records), so an UPDATE that arrives
// in a later file or run still finds the fields its CREATE set. The states are written in the
// same transaction they are read in; converting the same events again gives the same events.
import type { Kysely } from 'kysely';
import { readRecords, writeRecords } from '../../db/repositories/connectors.ts';
import type { DB, JsonValue } from '../../db/types.ts';
import type { ConvertContext, Outcome } from '../../domain/connectors/outcome.ts';
import { applyChangeEvent, type RecordState } from '../../domain/connectors/salesforce-cdc.ts';

export const OPPORTUNITY_STATES = 'salesforce-opportunity';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function recordIds(event: unknown): string[] {
  const header = isObj(event) && isObj(event.payload) ? event.payload.ChangeEventHeader : undefined;
  return isObj(header) && Array.isArray(header.recordIds)
    ? header.recordIds.filter((id): id is string => typeof id === 'string')
    : [];
}

export async function convertChangeEvents(
  db: Kysely<DB>,
  events: readonly unknown[],
  ctx: ConvertContext,
): Promise<Outcome[][]> {
  return db.transaction().execute(async (tx) => {
    const stored = await readRecords(tx, OPPORTUNITY_STATES, events.flatMap(recordIds));
    const states = new Map<string, RecordState | undefined>();
    for (const [id, state] of stored) if (isObj(state)) states.set(id, state as RecordState);
    const touched = new Set<string>();
    const outcomes = events.map((event) => {
      const step = applyChangeEvent(event, (id) => states.get(id), ctx);
      step.states.forEach((state, id) => {
        states.set(id, state);
        touched.add(id);
      });
      return step.outcomes;
    });
    await writeRecords(
      tx,
      OPPORTUNITY_STATES,
      [...touched].map((id) => ({ id, state: (states.get(id) ?? null) as JsonValue })),
    );
    return outcomes;
  });
}
