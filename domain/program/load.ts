// From program text (JSON or YAML; one version or an array of versions) to a validated
// ProgramSet, or every problem found, each "path: message". Nothing partial is returned.
import { parse as parseYaml } from 'yaml';
import { dayOrThrow, type Day } from '../dates.ts';
import { currencyDigits } from '../money.ts';
import { crossCheckDocument, crossCheckProgram } from './cross-checks.ts';
import { issueLines } from './issues.ts';
import { programSchema, type Program } from './schema.ts';
import { errorMessage } from '../../lib/errors.ts';

export interface ProgramVersion {
  program: Program;
  effectiveFrom: Day;
}

export interface ProgramSet {
  id: string;
  currency: string;
  digits: number;
  timezone: string;
  /** Sorted by effectiveFrom, earliest first. */
  versions: ProgramVersion[];
}

export type LoadResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Parses program text; YAML is a superset of JSON, but JSON is tried first for exact messages. */
export function parseProgramDocument(text: string): LoadResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (jsonError) {
    try {
      return { ok: true, value: parseYaml(text, { prettyErrors: true }) as unknown };
    } catch (yamlError) {
      const json = errorMessage(jsonError);
      const yaml = errorMessage(yamlError).split('\n')[0];
      return { ok: false, problems: [`(root): neither JSON (${json}) nor YAML (${yaml})`] };
    }
  }
}

export function validateVersions(documents: readonly unknown[]): LoadResult<Program[]> {
  const problems: string[] = [];
  const programs: Program[] = [];
  const many = documents.length > 1;
  documents.forEach((doc, index) => {
    const prefix = many ? [index] : [];
    const parsed = programSchema.safeParse(doc);
    if (!parsed.success) {
      const schemaLines = issueLines(parsed.error.issues, prefix);
      const crossLines = crossCheckDocument(doc).map((line) => (many ? `[${index}].${line}` : line));
      problems.push(...schemaLines, ...crossLines.filter((line) => !schemaLines.includes(line)));
      return;
    }
    const crossProblems = crossCheckProgram(parsed.data);
    problems.push(...crossProblems.map((line) => (many ? `[${index}].${line}` : line)));
    if (crossProblems.length === 0) programs.push(parsed.data);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: programs };
}

export function buildProgramSet(programs: readonly Program[]): LoadResult<ProgramSet> {
  const first = programs[0];
  if (!first) return { ok: false, problems: ['(root): no program version given'] };
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const p of programs) {
    if (p.id !== first.id)
      problems.push(
        `version ${p.version}: id "${p.id}" differs from "${first.id}"; all versions of a program share one id`,
      );
    if (p.currency !== first.currency)
      problems.push(`version ${p.version}: currency ${p.currency} differs from ${first.currency}`);
    if (p.timezone !== first.timezone)
      problems.push(`version ${p.version}: timezone ${p.timezone} differs from ${first.timezone}`);
    const other = seen.get(p.effectiveFrom);
    if (other !== undefined)
      problems.push(`version ${p.version}: effectiveFrom ${p.effectiveFrom} is also version ${other}'s`);
    seen.set(p.effectiveFrom, p.version);
  }
  if (problems.length > 0) return { ok: false, problems };
  const versions = programs
    .map((program) => ({ program, effectiveFrom: dayOrThrow(program.effectiveFrom) }))
    .sort((a, b) => a.effectiveFrom - b.effectiveFrom);
  return {
    ok: true,
    value: {
      id: first.id,
      currency: first.currency,
      digits: currencyDigits(first.currency) ?? 2,
      timezone: first.timezone,
      versions,
    },
  };
}

/** Validates program texts (each one version or an array of versions) into one ProgramSet. */
export function loadProgramTexts(texts: readonly { name: string; text: string }[]): LoadResult<ProgramSet> {
  const documents: unknown[] = [];
  const problems: string[] = [];
  for (const { name, text } of texts) {
    const parsed = parseProgramDocument(text);
    if (!parsed.ok) problems.push(...parsed.problems.map((p) => (texts.length > 1 ? `${name}: ${p}` : p)));
    else if (Array.isArray(parsed.value)) documents.push(...(parsed.value as unknown[]));
    else documents.push(parsed.value);
  }
  if (problems.length > 0) return { ok: false, problems };
  const validated = validateVersions(documents);
  return validated.ok ? buildProgramSet(validated.value) : validated;
}

/** The version in force on `day`: the latest effectiveFrom ≤ day, else the first version. */
export function versionIndexOn(set: ProgramSet, day: Day): number {
  let index = 0;
  for (let i = 1; i < set.versions.length; i++) {
    if ((set.versions[i]?.effectiveFrom ?? Infinity) <= day) index = i;
  }
  return index;
}
