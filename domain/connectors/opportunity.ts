// A Salesforce Opportunity (from an Outbound Message or merged Change Data Capture events) as a
// §4 deal.upserted (SPEC §13). Field values arrive as text; null or absent fields are undefined.
import { isoInstant } from './instants.ts';
import { formatDay } from '../dates.ts';
import { businessDay, dayInZone, parseInstant } from '../timestamps.ts';
import { decimalAmount } from './amounts.ts';
import { partnerFor } from './mapping.ts';
import { converted, ConvertProblem, problem, skipped, type ConvertContext, type Outcome } from './outcome.ts';

export type Fields = Readonly<Record<string, string | undefined>>;

function dayOf(text: string | undefined, field: string, timezone: string): string | undefined {
  if (text === undefined) return undefined;
  const day = businessDay(text, timezone);
  if (day === undefined) throw new ConvertProblem(`${field} ${JSON.stringify(text)} is not a date`);
  return formatDay(day);
}

export function convertOpportunity(fields: Fields, ctx: ConvertContext, ref: string): Outcome {
  const sf = ctx.mapping.salesforce;
  if (!sf) return problem(ref, 'the mapping has no salesforce section');
  const id = fields.Id;
  if (!id) return problem(ref, 'the Opportunity has no Id');
  const account = fields[sf.partnerField];
  if (!account) return skipped(ref, `Opportunity ${id} has no ${sf.partnerField}`);
  try {
    const modified = fields.LastModifiedDate;
    const version = modified === undefined ? undefined : parseInstant(modified);
    if (version === undefined)
      throw new ConvertProblem(`Opportunity ${id}: LastModifiedDate ${JSON.stringify(modified)} is not a timestamp`);
    const won = fields.IsWon === 'true';
    const closed = won || fields.IsClosed === 'true';
    const currency = fields.CurrencyIsoCode ?? sf.defaultCurrency;
    if (!currency)
      throw new ConvertProblem(`Opportunity ${id} has no CurrencyIsoCode and the mapping no defaultCurrency`);
    if (fields.Amount === undefined) throw new ConvertProblem(`Opportunity ${id} has no Amount`);
    const amount = decimalAmount(fields.Amount, currency, `Opportunity ${id}: Amount`);
    const closedAt = closed ? dayOf(fields.CloseDate, 'CloseDate', ctx.timezone) : undefined;
    const registeredAt = sf.registeredAtField
      ? dayOf(fields[sf.registeredAtField], sf.registeredAtField, ctx.timezone)
      : undefined;
    const data: Record<string, unknown> = {
      dealId: id,
      stage: won ? 'closed_won' : closed ? 'closed_lost' : 'open',
      amount,
      currency,
      version,
    };
    if (fields.AccountId) data.customerId = fields.AccountId;
    if (registeredAt) data.registeredAt = registeredAt;
    if (closedAt) data.closedAt = closedAt;
    const event = {
      id: `salesforce-${id}-${version}`,
      source: 'crm' as const,
      type: 'deal.upserted',
      occurredAt: isoInstant(version),
      partnerId: partnerFor(ctx.mapping, account),
      data,
    };
    const businessDate = closedAt ?? registeredAt ?? formatDay(dayInZone(version, ctx.timezone));
    return converted(ref, event, currency, businessDate, ctx);
  } catch (error) {
    if (error instanceof ConvertProblem) return problem(ref, error.message);
    throw error;
  }
}
