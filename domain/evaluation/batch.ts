// Batch evaluation of an event stream (what `tierline evaluate` runs): events are folded in
// arrival order, invalid ones are reported and skipped, and every partner with at least one
// valid event gets a scorecard.
import type { Day } from '../dates.ts';
import { parseEventLine, validateEvent } from '../events/parse.ts';
import { FactFolder, type FoldOutcome } from '../facts/fold.ts';
import type { ProgramSet } from '../program/load.ts';
import { evaluatePartner, type PartnerEvaluation } from './scorecard.ts';
import type { ReviewDecision } from '../reviews.ts';
import type { OverrideRule } from './timeline.ts';

export interface InvalidEvent {
  line: number;
  reason: string;
}

export type Counts = Record<FoldOutcome | 'invalid', number>;

export class BatchEvaluation {
  readonly folder: FactFolder;
  readonly invalid: InvalidEvent[] = [];
  readonly counts: Counts = { accepted: 0, duplicate: 0, stale: 0, conflict: 0, invalid: 0 };
  private lineNo = 0;

  constructor(readonly program: ProgramSet) {
    this.folder = new FactFolder(program.currency);
  }

  private get ctx() {
    return { currency: this.program.currency, timezone: this.program.timezone };
  }

  /** One JSON Lines line; blank lines are skipped, not counted as events. */
  addLine(line: Uint8Array | string): void {
    this.lineNo++;
    const isBlank =
      typeof line === 'string' ? line.trim() === '' : line.every((b) => b === 0x20 || b === 0x09 || b === 0x0d);
    if (isBlank) return;
    this.record(parseEventLine(line, this.ctx));
  }

  addObject(raw: unknown): void {
    this.lineNo++;
    this.record(validateEvent(raw, this.ctx));
  }

  private record(result: ReturnType<typeof validateEvent>): void {
    if (!result.ok) {
      this.counts.invalid++;
      this.invalid.push({ line: this.lineNo, reason: result.reason });
      return;
    }
    this.counts[this.folder.add(result.event, result.raw)]++;
  }

  partnerIds(): string[] {
    return [...this.folder.partners.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  evaluate(
    partnerId: string,
    asOf: Day,
    overrides: readonly OverrideRule[] = [],
    reviews: readonly ReviewDecision[] = [],
  ): PartnerEvaluation | undefined {
    const facts = this.folder.partners.get(partnerId);
    return facts ? evaluatePartner(this.program, facts, asOf, overrides, reviews) : undefined;
  }
}
