// Turns zod issues into "path: message" lines. For a union (criteria, windows) the branch
// that came closest is reported, so a typo in a leaf reads as one precise line rather than
// "invalid input" for every alternative.
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function branchCost(issues: Issue[]): number {
  // A branch rejected for its keys is further from what the author meant than one
  // rejected for a value; a branch
  // rejected for being another kind of value altogether (an object where a string was
  // expected) is furthest of all.
  const cost = (i: Issue): number => {
    if ((i.code === 'invalid_type' || i.code === 'invalid_value') && i.path.length === 0) return 100;
    return i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.input === undefined) ? 10 : 1;
  };
  return issues.reduce((sum, i) => sum + cost(i), 0);
}

function flatten(issue: Issue, prefix: readonly PathKey[]): Array<{ path: PathKey[]; message: string }> {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const best = [...issue.errors].sort((a, b) => branchCost(a) - branchCost(b))[0] ?? [];
    if (best.length > 0) return best.flatMap((inner) => flatten(inner, path));
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field' }));
  }
  return [{ path, message: issue.message }];
}

export function issueLines(issues: readonly Issue[], prefix: readonly PathKey[] = []): string[] {
  return issues
    .flatMap((issue) => flatten(issue, prefix))
    .map(({ path, message }) => `${formatPath(path) || '(root)'}: ${message}`);
}
