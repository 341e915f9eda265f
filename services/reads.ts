// A partner's state for the read commands: the stored scorecard, or one evaluated from the
// stored facts for a given day; the ledger with its totals; the decisions.
import type { Kysely } from 'kysely';
import { loadPartnerFacts } from '../db/repositories/facts-read.ts';
import { ledgerEntries, ledgerTotals, listDecisions, storedScorecard } from '../db/repositories/reads.ts';
import { activeOverrides } from '../db/repositories/recompute.ts';
import type { DB } from '../db/types.ts';
import type { Day } from '../domain/dates.ts';
import { evaluatePartner, type Scorecard } from '../domain/evaluation/scorecard.ts';
import { Refusal } from './errors.ts';
import { loadProgramSet } from './programs.ts';

export { listDecisions };

/** The scorecard stored by the last recompute, if any. */
export async function lastScorecard(db: Kysely<DB>, partnerId: string): Promise<Scorecard | undefined> {
  return (await storedScorecard(db, partnerId)) as Scorecard | undefined;
}

/** The stored facts evaluated for `day` (with the active overrides); undefined for an unknown partner. */
export async function scorecardOn(db: Kysely<DB>, partnerId: string, day: Day): Promise<Scorecard | undefined> {
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  const facts = (await loadPartnerFacts(db, [partnerId], program.currency)).get(partnerId);
  if (!facts) return undefined;
  const overrides = await db.transaction().execute((trx) => activeOverrides(trx, [partnerId]));
  return evaluatePartner(program, facts, day, overrides.get(partnerId) ?? []).scorecard;
}

export async function ledger(db: Kysely<DB>, partnerId: string) {
  const entries = await ledgerEntries(db, partnerId);
  const totals = await ledgerTotals(db, partnerId);
  return { entries, totals };
}
