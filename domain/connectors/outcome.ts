// What converting one source record gives: a §4 event (perhaps still needing an FX rate), a
// record skipped because it is not partner business, or a problem to dead-letter.
import type { Source } from '../events/schema.ts';
import type { Mapping } from './mapping.ts';

export interface DraftEvent {
  id: string;
  source: Source;
  type: string;
  occurredAt: string;
  partnerId: string;
  data: Record<string, unknown>;
}

/** A foreign amount needs the rate of `currency` on the latest day on or before `day`. */
export interface FxNeed {
  currency: string;
  day: string;
}

export type Outcome =
  | { kind: 'event'; ref: string; event: DraftEvent; fx?: FxNeed }
  | { kind: 'skipped'; ref: string; reason: string }
  | { kind: 'problem'; ref: string; reason: string };

export interface ConvertContext {
  mapping: Mapping;
  /** The program's currency and timezone. */
  currency: string;
  timezone: string;
}

export const skipped = (ref: string, reason: string): Outcome => ({ kind: 'skipped', ref, reason });
export const problem = (ref: string, reason: string): Outcome => ({ kind: 'problem', ref, reason });

/** A converted event; an amount in another currency than the program's waits for its rate. */
export function converted(ref: string, event: DraftEvent, currency: string, day: string, ctx: ConvertContext): Outcome {
  return currency === ctx.currency
    ? { kind: 'event', ref, event }
    : { kind: 'event', ref, event, fx: { currency, day } };
}

/** Internal: a failed step of a conversion, turned into a problem outcome by the converter. */
export class ConvertProblem extends Error {
  override name = 'ConvertProblem';
}
