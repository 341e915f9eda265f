// HubSpot CRM v3 deal objects (SPEC §13): every property value is a string (or null).
import { isoInstant } from './instants.ts';
import { formatDay } from '../dates.ts';
import { businessDay, dayInZone, parseInstant } from '../timestamps.ts';
import { decimalAmount } from './amounts.ts';
import { partnerFor } from './mapping.ts';
import { converted, ConvertProblem, problem, skipped, type ConvertContext, type Outcome } from './outcome.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** hs_lastmodifieddate is an ISO timestamp in v3 (epoch ms in older payloads): epoch ms either way. */
function epochMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d{10,15}$/.test(text)) return Number(text);
  return parseInstant(text);
}

function firstCompany(deal: Obj): string | undefined {
  const assoc = isObj(deal.associations) ? deal.associations.companies : undefined;
  const results = isObj(assoc) && Array.isArray(assoc.results) ? (assoc.results as unknown[]) : [];
  const first = results[0];
  return isObj(first) ? (str(first.id) ?? (typeof first.id === 'number' ? String(first.id) : undefined)) : undefined;
}

export function convertHubspotDeal(deal: unknown, ctx: ConvertContext): Outcome {
  const hs = ctx.mapping.hubspot;
  const id = isObj(deal) ? (str(deal.id) ?? (typeof deal.id === 'number' ? String(deal.id) : undefined)) : undefined;
  const ref = `deal ${id ?? '?'}`;
  if (!hs) return problem(ref, 'the mapping has no hubspot section');
  if (!isObj(deal) || !id || !isObj(deal.properties)) return problem(ref, 'not a CRM v3 deal object (id, properties)');
  const props = deal.properties;
  const p = (name: string) => str(props[name]);
  const account = p(hs.partnerProperty);
  if (!account) return skipped(ref, `deal ${id} has no ${hs.partnerProperty}`);
  try {
    const version = epochMs(p('hs_lastmodifieddate') ?? str(deal.updatedAt));
    if (version === undefined) throw new ConvertProblem(`deal ${id}: hs_lastmodifieddate is not a timestamp`);
    const stage = p('dealstage');
    const won = p('hs_is_closed_won') === 'true';
    const lost = !won && ((stage !== undefined && hs.closedLostStages.includes(stage)) || p('hs_is_closed') === 'true');
    const currency = p('deal_currency_code') ?? ctx.currency;
    const rawAmount = p('amount');
    if (rawAmount === undefined) throw new ConvertProblem(`deal ${id} has no amount`);
    const amount = decimalAmount(rawAmount, currency, `deal ${id}: amount`);
    let closedAt: string | undefined;
    if (won || lost) {
      const close = p('closedate');
      const day = close === undefined ? undefined : businessDay(close, ctx.timezone);
      if (close !== undefined && day === undefined)
        throw new ConvertProblem(`deal ${id}: closedate ${JSON.stringify(close)} is not a date`);
      closedAt = day === undefined ? undefined : formatDay(day);
    }
    const data: Record<string, unknown> = {
      dealId: id,
      stage: won ? 'closed_won' : lost ? 'closed_lost' : 'open',
      amount,
      currency,
      version,
    };
    const customer = firstCompany(deal);
    if (customer) data.customerId = customer;
    if (closedAt) data.closedAt = closedAt;
    const event = {
      id: `hubspot-${id}-${version}`,
      source: 'crm' as const,
      type: 'deal.upserted',
      occurredAt: isoInstant(version),
      partnerId: partnerFor(ctx.mapping, account),
      data,
    };
    return converted(ref, event, currency, closedAt ?? formatDay(dayInZone(version, ctx.timezone)), ctx);
  } catch (error) {
    if (error instanceof ConvertProblem) return problem(ref, error.message);
    throw error;
  }
}
