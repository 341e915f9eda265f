// Recomputing partners: evaluate with the pure engine over the stored facts, then write the
// history, decisions, scorecard and ledger in one transaction per partner, under a
// per-partner advisory lock. A chunk loads its partners' facts set-based, and re-reads a
// partner's facts only when new ones arrived after that load.
import type { Kysely } from 'kysely';
import { loadPartnerFacts } from '../db/repositories/facts-read.ts';
import { requestVersions, scorecardDay } from '../db/repositories/recompute-requests.ts';
import { activeOverrides, clearRequest, lockPartner, scorecardVersions, takeRequest, writeDecisions, writeHistory, writeLedger, writeOutbox, writeScorecard } from '../db/repositories/recompute.ts';
import { notificationRequests } from '../domain/alerts.ts';
import { versionIndexOn, type ProgramSet } from '../domain/program/load.ts';
import type { Program } from '../domain/program/schema.ts';
import { inTransaction } from '../db/transactions.ts';
import type { DB } from '../db/types.ts';
import { formatDay, type Day } from '../domain/dates.ts';
import { explainDay } from '../domain/evaluation/explain.ts';
import { evaluatePartner } from '../domain/evaluation/scorecard.ts';
import type { TierChange } from '../domain/evaluation/timeline.ts';
import { emptyFacts, type PartnerFacts } from '../domain/facts/types.ts';

/**
 * Partners whose facts a chunk holds in memory at once: the facts of a whole chunk of 500
 * (times the chunks running side by side) took a worker process past 900 MB.
 */
const PRELOAD_SLICE = 100;

export interface RecomputeSummary {
  partners: number;
  changes: Record<TierChange['kind'], number>;
  ledgerEntries: number;
  decisions: number;
  notifications: number;
}

export function emptySummary(): RecomputeSummary {
  return { partners: 0, changes: { promoted: 0, demoted: 0, override: 0, restarted: 0, track: 0 }, ledgerEntries: 0, decisions: 0, notifications: 0 };
}

export function mergeSummaries(into: RecomputeSummary, more: RecomputeSummary): RecomputeSummary {
  into.partners += more.partners;
  into.ledgerEntries += more.ledgerEntries;
  into.decisions += more.decisions;
  into.notifications += more.notifications ?? 0;
  for (const k of Object.keys(into.changes) as TierChange['kind'][]) into.changes[k] += more.changes[k];
  return into;
}

/**
 * Recomputes partners as of `asOf`. With `preload`, facts of all of them are read in one go;
 * a partner with an owed request is re-read under its lock instead, because the request row
 * is only visible once the transaction that wrote its facts has committed; so is a partner
 * that another recompute wrote since the load (it may have taken the request of facts newer
 * than the load, and writing the older state over it would also take back ledger entries).
 */
export async function recomputePartners(
  db: Kysely<DB>,
  program: ProgramSet,
  partnerIds: readonly string[],
  asOf: Day,
  preload = partnerIds.length > 1,
  /**
   * Skip a partner that owes nothing and is already computed as of `asOf`: every change of
   * its inputs (facts, overrides, a program version) leaves a request in the same
   * transaction, so the stored result is the one this would write. A burst of events for
   * one partner queues one wake-up per committed batch; the first recompute covers them all
   * and the rest cost a lock and two reads instead of a full recompute each.
   */
  onlyIfOwed = false,
): Promise<RecomputeSummary> {
  if (preload && partnerIds.length > PRELOAD_SLICE) {
    const summary = emptySummary();
    for (let i = 0; i < partnerIds.length; i += PRELOAD_SLICE) mergeSummaries(summary, await recomputePartners(db, program, partnerIds.slice(i, i + PRELOAD_SLICE), asOf, true));
    return summary;
  }
  const summary = emptySummary();
  // Read before the facts: a partner whose scorecard changes after this was recomputed by
  // someone else meanwhile (who may have cleared the request that newer facts left). So are
  // the owed requests: facts are committed with their request, so a request seen here has
  // its facts in the load below, and only a newer one (another version) calls for a re-read.
  const [versions, requested] = preload ? await Promise.all([scorecardVersions(db, partnerIds), requestVersions(db, partnerIds)]) : [undefined, undefined];
  const preloaded = preload ? await loadPartnerFacts(db, partnerIds, program.currency) : undefined;
  const overrides = preload ? await db.transaction().execute((trx) => activeOverrides(trx, partnerIds)) : undefined;
  for (const partnerId of partnerIds) {
    await inTransaction(db, async (trx) => {
      await lockPartner(trx, partnerId);
      const request = await takeRequest(trx, partnerId);
      if (onlyIfOwed && request === undefined && (await scorecardDay(trx, partnerId)) === formatDay(asOf)) return;
      const stale =
        !preloaded || (request !== undefined && request.micros !== requested?.get(partnerId)) || (await scorecardVersions(trx, [partnerId])).get(partnerId) !== versions?.get(partnerId);
      const facts: PartnerFacts =
        (stale ? (await loadPartnerFacts(trx, [partnerId], program.currency)).get(partnerId) : preloaded.get(partnerId)) ?? emptyFacts(partnerId);
      const rules = stale || !overrides ? ((await activeOverrides(trx, [partnerId])).get(partnerId) ?? []) : (overrides.get(partnerId) ?? []);
      const evaluation = evaluatePartner(program, facts, asOf, rules);
      await writeHistory(trx, partnerId, program.id, evaluation.history);
      const fresh = await writeDecisions(trx, partnerId, program.id, evaluation.changes, (c) => explainDay(program, facts, c.day), request?.trigger_event_ids ?? []);
      await writeScorecard(trx, evaluation.scorecard);
      summary.ledgerEntries += await writeLedger(trx, partnerId, evaluation.ledger, program.currency, program.digits);
      summary.notifications += await writeOutbox(
        trx,
        notificationRequests({
          partnerId,
          program: program.versions[versionIndexOn(program, asOf)]?.program ?? (program.versions[0]?.program as Program),
          today: asOf,
          terminated: facts.profile?.status === 'terminated',
          changes: fresh,
          scorecard: evaluation.scorecard,
          history: evaluation.history,
        }),
      );
      if (request) await clearRequest(trx, request);
      summary.partners++;
      summary.decisions += fresh.length;
      for (const c of fresh) summary.changes[c.kind]++;
    });
  }
  return summary;
}
