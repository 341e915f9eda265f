// A what-if draft (docs/whatif.md): one program version, validated like `program load`, that
// must keep the current program's currency and timezone, evaluated as the only version in
// force for all history.
import { buildProgramSet, parseProgramDocument, validateVersions, type LoadResult, type ProgramSet } from './load.ts';

export function loadDraft(text: string, current: ProgramSet): LoadResult<ProgramSet> {
  const parsed = parseProgramDocument(text);
  if (!parsed.ok) return parsed;
  if (Array.isArray(parsed.value))
    return { ok: false, problems: ['(root): a draft is one program version, not an array of versions'] };
  const validated = validateVersions([parsed.value]);
  if (!validated.ok) return validated;
  const problems: string[] = [];
  const draft = validated.value[0];
  if (draft && draft.currency !== current.currency)
    problems.push(`currency: ${draft.currency} differs from the current program's ${current.currency}`);
  if (draft && draft.timezone !== current.timezone)
    problems.push(`timezone: ${draft.timezone} differs from the current program's ${current.timezone}`);
  if (problems.length > 0) return { ok: false, problems };
  // A set of one version: versionIndexOn gives it for every day, before its effectiveFrom too.
  return buildProgramSet(validated.value);
}
