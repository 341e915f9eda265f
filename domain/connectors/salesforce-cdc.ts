// Salesforce Change Data Capture (SPEC §13): OpportunityChangeEvents as the Pub/Sub API client
// decodes them ({id, schemaId, replayId, payload}), dates in epoch ms. An event carries only the
// changed fields, so CREATE and UPDATE are merged onto the record's last known state (kept by
// the caller: in memory for a file, in Postgres for the pipeline) and the merged record is
// converted like an Outbound Message's Opportunity.
import { isoDate, isoInstant } from './instants.ts';
import { convertOpportunity, type Fields } from './opportunity.ts';
import { problem, skipped, type ConvertContext, type Outcome } from './outcome.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A record's last known fields, as text (the form convertOpportunity reads). */
export type RecordState = Record<string, string | undefined>;

export interface CdcStep {
  outcomes: Outcome[];
  /** The new state of each record this event touched (undefined: deleted). */
  states: Map<string, RecordState | undefined>;
}

const DATE_FIELDS = new Set(['CloseDate']);
const TIMESTAMP_FIELDS = new Set(['LastModifiedDate', 'CreatedDate', 'SystemModstamp']);

/** A decoded Avro value as text: epoch ms dates to ISO, numbers by their shortest spelling. */
function asText(field: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number' && DATE_FIELDS.has(field)) return isoDate(value);
  if (typeof value === 'number' && TIMESTAMP_FIELDS.has(field)) return isoInstant(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Applies one change event to the known states; pure: `known` is only read. */
export function applyChangeEvent(
  event: unknown,
  known: (recordId: string) => RecordState | undefined,
  ctx: ConvertContext,
): CdcStep {
  const states = new Map<string, RecordState | undefined>();
  const ref = isObj(event) ? `replayId ${String(event.replayId ?? event.id ?? '?')}` : 'change event';
  const payload = isObj(event) ? event.payload : undefined;
  const header = isObj(payload) ? payload.ChangeEventHeader : undefined;
  if (!isObj(payload) || !isObj(header)) return { outcomes: [problem(ref, 'no payload.ChangeEventHeader')], states };
  const ids = Array.isArray(header.recordIds) ? header.recordIds.filter((x): x is string => typeof x === 'string') : [];
  const type = String(header.changeType ?? '');
  if (header.entityName !== undefined && header.entityName !== 'Opportunity')
    return { outcomes: [skipped(ref, `entity ${String(header.entityName)} is not Opportunity`)], states };
  if (ids.length === 0) return { outcomes: [problem(ref, 'the header names no recordIds')], states };
  if (type.startsWith('GAP_') || type === 'GAP_OVERFLOW')
    return { outcomes: ids.map((id) => problem(`${ref} ${id}`, `${type}: needs a fetch of ${id}`)), states };
  if (type === 'DELETE' || type === 'UNDELETE') {
    for (const id of ids) states.set(id, undefined);
    return { outcomes: ids.map((id) => skipped(`${ref} ${id}`, `${type} is not converted`)), states };
  }
  if (type !== 'CREATE' && type !== 'UPDATE')
    return { outcomes: [skipped(ref, `changeType ${type} is not converted`)], states };
  const changed = new Set(Array.isArray(header.changedFields) ? header.changedFields.map(String) : []);
  const outcomes = ids.map((id) => {
    const before = known(id);
    if (type === 'UPDATE' && !before)
      return problem(`${ref} ${id}`, `an update of a record with no known state: needs a fetch of ${id}`);
    const merged: RecordState = { ...(before ?? {}), Id: id };
    for (const [field, value] of Object.entries(payload)) {
      if (field === 'ChangeEventHeader') continue;
      // Unchanged fields are null in an UPDATE; a null in changedFields is a field cleared.
      if (value === null && type === 'UPDATE' && !changed.has(field)) continue;
      merged[field] = asText(field, value);
    }
    if (!merged.LastModifiedDate && typeof header.commitTimestamp === 'number')
      merged.LastModifiedDate = isoInstant(header.commitTimestamp);
    states.set(id, merged);
    return convertOpportunity(merged as Fields, ctx, `${ref} ${id}`);
  });
  return { outcomes, states };
}
