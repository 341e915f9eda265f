// A whole file of one kind's records, converted in order (`tierline connectors convert`). The
// state a record needs from earlier ones (a CDC record's last known fields, the partner of a
// credited Stripe invoice, a voided xAPI statement) is what came before in the same file.
// Each outcome has its 1-based line: the line of a JSON Lines record, of a CSV row, or of a
// Notification's opening tag; the element number when the file is one JSON array.
import { errorMessage } from '../../lib/errors.ts';
import type { Source } from '../events/schema.ts';
import { convertCsv, sourceOfType } from './csv-events.ts';
import { applyFx, type FxLookup } from './fx.ts';
import { convertHubspotDeal } from './hubspot.ts';
import { problem, type ConvertContext, type Outcome } from './outcome.ts';
import { applyChangeEvent, type RecordState } from './salesforce-cdc.ts';
import { convertOutboundMessage, parseOutboundMessage } from './salesforce-outbound.ts';
import { convertStripeEvent } from './stripe.ts';
import { convertStatement } from './xapi.ts';

export const KINDS = ['salesforce-outbound', 'salesforce-cdc', 'hubspot-deal', 'stripe', 'xapi'] as const;
export const KIND_HELP = `${KINDS.join(', ')} or csv:TYPE (TYPE a §4 event type)`;

export interface Numbered {
  line: number;
  outcome: Outcome;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON Lines, or one JSON document (an array, or a list under `results`/`statements`). */
export function jsonRecords(text: string): Array<{ line: number; value: unknown } | { line: number; error: string }> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && !trimmed.includes('\n'))) {
    try {
      const whole: unknown = JSON.parse(trimmed);
      const list = Array.isArray(whole)
        ? whole
        : isObj(whole) && Array.isArray(whole.results)
          ? whole.results
          : isObj(whole) && Array.isArray(whole.statements)
            ? whole.statements
            : [whole];
      return list.map((value, i) => ({ line: i + 1, value: value as unknown }));
    } catch {
      // Not one document: read it as JSON Lines below.
    }
  }
  const out: Array<{ line: number; value: unknown } | { line: number; error: string }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      out.push({ line: i + 1, value: JSON.parse(line) as unknown });
    } catch (error) {
      out.push({ line: i + 1, error: `not JSON: ${errorMessage(error)}` });
    }
  });
  return out;
}

function notificationLines(xml: string): number[] {
  const lines: number[] = [];
  const re = /<(?:[\w-]+:)?Notification[\s>]/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) lines.push(xml.slice(0, m.index).split('\n').length);
  return lines;
}

function eachJson(text: string, convert: (value: unknown) => Outcome): Numbered[] {
  return jsonRecords(text).map((r) =>
    'error' in r
      ? { line: r.line, outcome: problem(String(r.line), r.error) }
      : { line: r.line, outcome: convert(r.value) },
  );
}

/** Every record of a file as a numbered outcome, FX not yet applied; a string: the whole file is refused. */
export function convertRecords(kind: string, text: string, ctx: ConvertContext): Numbered[] | string {
  if (kind.startsWith('csv:'))
    return convertCsv(text, kind.slice(4), ctx).map((outcome) => ({ line: Number(outcome.ref), outcome }));
  switch (kind) {
    case 'salesforce-outbound': {
      const parsed = parseOutboundMessage(text);
      if (!parsed.ok) return parsed.reason;
      const org = ctx.mapping.salesforce?.organizationId;
      if (org && parsed.value.organizationId !== org)
        return `OrganizationId ${parsed.value.organizationId} is not the mapping's ${org}`;
      const lines = notificationLines(text);
      return convertOutboundMessage(parsed.value, ctx).map((outcome, i) => ({ line: lines[i] ?? 1, outcome }));
    }
    case 'salesforce-cdc': {
      const states = new Map<string, RecordState | undefined>();
      return jsonRecords(text).flatMap((r): Numbered[] => {
        if ('error' in r) return [{ line: r.line, outcome: problem(String(r.line), r.error) }];
        const step = applyChangeEvent(r.value, (id) => states.get(id), ctx);
        step.states.forEach((s, id) => states.set(id, s));
        return step.outcomes.map((outcome) => ({ line: r.line, outcome }));
      });
    }
    case 'hubspot-deal':
      return eachJson(text, (v) => convertHubspotDeal(v, ctx));
    case 'stripe': {
      const invoices = new Map<string, string>();
      return eachJson(text, (v) => {
        const outcome = convertStripeEvent(v, ctx, (id) => invoices.get(id));
        if (outcome.kind === 'event' && outcome.event.type === 'invoice.booked')
          invoices.set(String(outcome.event.data.invoiceId), outcome.event.partnerId);
        return outcome;
      });
    }
    case 'xapi': {
      const seen = new Map<string, unknown>();
      return eachJson(text, (v) => {
        if (isObj(v) && typeof v.id === 'string') seen.set(v.id, v);
        return convertStatement(v, ctx, (id) => seen.get(id));
      });
    }
    default:
      return `unknown kind ${JSON.stringify(kind)}: expected ${KIND_HELP}`;
  }
}

/** The §4 source a kind's events belong to (where its dead letters are filed). */
export function sourceOfKind(kind: string): Source | undefined {
  if (kind.startsWith('csv:')) return sourceOfType(kind.slice(4));
  if (kind === 'stripe') return 'erp';
  if (kind === 'xapi') return 'lms';
  return (KINDS as readonly string[]).includes(kind) ? 'crm' : undefined;
}

export function isKnownKind(kind: string): boolean {
  return kind.startsWith('csv:') || (KINDS as readonly string[]).includes(kind);
}

/** Every record of a file as a numbered outcome with its FX rate applied; a string: the whole file is refused. */
export function convertDocument(kind: string, text: string, ctx: ConvertContext, fx: FxLookup): Numbered[] | string {
  const converted = convertRecords(kind, text, ctx);
  if (typeof converted === 'string') return converted;
  return converted.map(({ line, outcome }) => ({ line, outcome: applyFx(outcome, fx) }));
}
