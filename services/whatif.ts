// What-if from the database (docs/whatif.md): for every partner with a stored scorecard, the
// current side is that scorecard's and the draft side the draft evaluated alone over the
// stored facts as of the day, without overrides or review decisions. Nothing is stored.
import type { Kysely } from 'kysely';
import { countScorecards, scorecardsAfter } from '../db/repositories/reads.ts';
import type { DB } from '../db/types.ts';
import type { Day } from '../domain/dates.ts';
import { evaluatePartner, type Scorecard } from '../domain/evaluation/scorecard.ts';
import { emptyFacts } from '../domain/facts/types.ts';
import { loadDraft } from '../domain/program/draft.ts';
import type { ProgramSet } from '../domain/program/load.ts';
import { whatIfBlock, type WhatIfLine } from '../domain/whatif.ts';
import { Refusal } from './errors.ts';
import { loadPartnerFacts } from './facts.ts';
import { loadProgramSet } from './programs.ts';

const CHUNK = 500;

/** A draft that does not validate: every problem, by path, as `program load` lists them. */
export class DraftRefused extends Refusal {
  constructor(readonly problems: string[]) {
    super(`draft refused (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`);
  }
}

export interface WhatIfRun {
  program: ProgramSet;
  draft: ProgramSet;
  asOf: Day;
}

export async function whatIfFromDatabase(
  db: Kysely<DB>,
  draftText: string,
  asOf: Day | ((timezone: string) => Day),
  on: {
    onStart?: (run: WhatIfRun) => void;
    onLines: (lines: WhatIfLine[]) => void;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<WhatIfRun> {
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  const loaded = loadDraft(draftText, program);
  if (!loaded.ok) throw new DraftRefused(loaded.problems);
  const draft = loaded.value;
  const day = typeof asOf === 'function' ? asOf(program.timezone) : asOf;
  on.onStart?.({ program, draft, asOf: day });
  const total = await countScorecards(db);
  let done = 0;
  let after: string | null = null;
  for (;;) {
    const rows = await scorecardsAfter(db, after, CHUNK);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]?.partner_id ?? null;
    const ids = rows.map((r) => r.partner_id);
    const facts = await loadPartnerFacts(db, ids, draft.currency);
    on.onLines(
      rows.map((r) => ({
        partnerId: r.partner_id,
        current: whatIfBlock(r.scorecard as unknown as Scorecard),
        draft: whatIfBlock(evaluatePartner(draft, facts.get(r.partner_id) ?? emptyFacts(r.partner_id), day).scorecard),
      })),
    );
    done += rows.length;
    on.onProgress?.(done, total);
  }
  return { program, draft, asOf: day };
}
