// Side files of the pure commands (evaluate, finance): manual overrides and demotion review
// decisions as JSON Lines, grouped by partner; a malformed line refuses the whole file.
import { readFile } from 'node:fs/promises';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import { parseOverride } from '../../domain/overrides.ts';
import { parseReviewDecision, type ReviewDecision } from '../../domain/reviews.ts';
import { CliError, describeError } from './errors.ts';

type LineParse<T> = { ok: true; partnerId: string; value: T } | { ok: false; reason: string };

/**
 * A JSON Lines side file (overrides, review decisions) grouped by partner, file order kept.
 * Bad lines are refused as `FILE:N: reason`, one line each (after a heading when `heading`).
 */
async function readPartnerLines<T>(
  path: string,
  what: string,
  parse: (raw: unknown) => LineParse<T>,
  heading: boolean,
): Promise<Map<string, T[]>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} file ${path}: ${describeError(error)}`, 1, { cause: error });
  }
  const byPartner = new Map<string, T[]>();
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      problems.push(`${path}:${i + 1}: not JSON`);
      return;
    }
    const parsed = parse(raw);
    if (!parsed.ok) problems.push(`${path}:${i + 1}: ${parsed.reason}`);
    else {
      const list = byPartner.get(parsed.partnerId);
      if (list) list.push(parsed.value);
      else byPartner.set(parsed.partnerId, [parsed.value]);
    }
  });
  if (problems.length > 0)
    throw new CliError(heading ? `invalid ${what}:\n  ${problems.join('\n  ')}` : problems.join('\n'));
  return byPartner;
}

export const readOverrides = (path: string) =>
  readPartnerLines<OverrideRule>(
    path,
    'overrides',
    (raw) => {
      const parsed = parseOverride(raw);
      return parsed.ok ? { ok: true, partnerId: parsed.partnerId, value: parsed.rule } : parsed;
    },
    true,
  );

export const readReviews = (path: string) =>
  readPartnerLines<ReviewDecision>(
    path,
    'review decisions',
    (raw) => {
      const parsed = parseReviewDecision(raw);
      return parsed.ok ? { ok: true, partnerId: parsed.decision.partnerId, value: parsed.decision } : parsed;
    },
    false,
  );
