// csv:TYPE (SPEC §13): a spreadsheet export with a header of §4 field names plus partnerId; one
// TYPE event per row. Cells are text; integers, booleans and JSON lists are read by field.
import { createHash } from 'node:crypto';
import { TYPES_BY_SOURCE, type Source } from '../events/schema.ts';
import { businessDay } from '../timestamps.ts';
import { formatDay } from '../dates.ts';
import { parseCsv } from './csv.ts';
import { partnerFor } from './mapping.ts';
import { converted, problem, type ConvertContext, type Outcome } from './outcome.ts';

const INTEGER_FIELDS = new Set(['version']);
const BOOLEAN_FIELDS = new Set(['recurring']);
const JSON_FIELDS = new Set(['contacts']);
const DATE_FIELDS = ['closedAt', 'registeredAt', 'earnedAt', 'revokedAt', 'departedAt', 'bookedAt', 'creditedAt'];

export function sourceOfType(type: string): Source | undefined {
  for (const [source, types] of Object.entries(TYPES_BY_SOURCE) as Array<[Source, readonly string[]]>)
    if (types.includes(type)) return source;
  return undefined;
}

function cellValue(field: string, text: string): unknown {
  if (INTEGER_FIELDS.has(field) && /^\d{1,15}$/.test(text)) return Number(text);
  if (BOOLEAN_FIELDS.has(field) && /^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (JSON_FIELDS.has(field)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** One outcome per data row; the ref is the row's line. The event id is the row's `id`, else a hash of the row. */
export function convertCsv(text: string, type: string, ctx: ConvertContext): Outcome[] {
  const source = sourceOfType(type);
  if (!source)
    return [problem('1', `csv:${type}: not an event type (${Object.values(TYPES_BY_SOURCE).flat().join(', ')})`)];
  const { header, rows } = parseCsv(text);
  const fields = header.map((h) => h.trim());
  if (!fields.includes('partnerId')) return [problem('1', 'the header has no partnerId column')];
  return rows.map(({ line, cells }) => {
    const ref = String(line);
    const data: Record<string, unknown> = {};
    let partner = '';
    let id: string | undefined;
    let occurredAt: string | undefined;
    fields.forEach((field, i) => {
      const cell = (cells[i] ?? '').trim();
      if (cell === '') return;
      if (field === 'partnerId') partner = cell;
      else if (field === 'id') id = cell;
      else if (field === 'occurredAt') occurredAt = cell;
      else data[field] = cellValue(field, cell);
    });
    if (partner === '') return problem(ref, 'no partnerId');
    if (cells.length > fields.length) return problem(ref, `${cells.length} cells, the header has ${fields.length}`);
    const day = DATE_FIELDS.map((f) => data[f]).find((v): v is string => typeof v === 'string');
    const businessDate = day === undefined ? undefined : businessDay(day, ctx.timezone);
    const when = occurredAt ?? (businessDate === undefined ? undefined : `${formatDay(businessDate)}T00:00:00Z`);
    if (!when) return problem(ref, 'no occurredAt and no date to take it from');
    const rowId =
      id ??
      `csv-${type}-${createHash('sha256')
        .update(JSON.stringify([partner, data]))
        .digest('hex')
        .slice(0, 24)}`;
    const event = { id: rowId, source, type, occurredAt: when, partnerId: partnerFor(ctx.mapping, partner), data };
    const currency = typeof data.currency === 'string' ? data.currency : undefined;
    // A foreign amount without its own fxRate takes the loaded rate of its business date.
    if (currency && data.fxRate === undefined && businessDate !== undefined)
      return converted(ref, event, currency, formatDay(businessDate), ctx);
    return { kind: 'event', ref, event };
  });
}
