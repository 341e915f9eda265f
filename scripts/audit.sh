#!/usr/bin/env bash
# `npm audit` of the production dependencies, for CI: fails on high or critical advisories.
# When the registry cannot answer the audit (an error, not advisories: e.g. a mirror that
# answers the bulk advisory endpoint with 405, or no network), prints one line saying the
# audit could not be checked and why, and exits 0: an unreachable audit service must not
# turn CI red, but it must not look like a clean audit either.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

report=$(mktemp)
trap 'rm -f "$report"' EXIT
# npm exits non-zero both for advisories at the level and for errors: the JSON tells them apart.
timeout 180 npm audit --omit=dev --audit-level=high --json >"$report" 2>/dev/null
status=$?

node - "$report" "$status" <<'JS'
const [file, status] = process.argv.slice(2);
const text = require('node:fs').readFileSync(file, 'utf8');
const unchecked = (why) => {
  console.log(`npm audit: could not be checked (${why}); high and critical advisories are NOT known to be absent`);
  process.exit(0);
};
if (status === '124') unchecked('npm audit timed out after 180 s');
let report;
try {
  report = JSON.parse(text);
} catch {
  unchecked(text.trim() ? 'npm audit printed no JSON report' : `npm audit exited ${status} without output`);
}
const counts = report?.metadata?.vulnerabilities;
if (!counts || typeof counts !== 'object') {
  const reason = report?.message ?? report?.error?.summary ?? report?.error?.code ?? `exit ${status}, no advisory counts in the report`;
  unchecked(`the registry answered with an error: ${String(reason).split('\n')[0]}`);
}
const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => v.severity === 'high' || v.severity === 'critical');
const lower = (counts.info ?? 0) + (counts.low ?? 0) + (counts.moderate ?? 0);
if ((counts.high ?? 0) + (counts.critical ?? 0) === 0) {
  console.log(`npm audit: no high or critical advisories in production dependencies (${lower} lower)`);
  process.exit(0);
}
console.log(`npm audit: ${counts.critical ?? 0} critical and ${counts.high ?? 0} high advisories in production dependencies:`);
for (const [name, v] of serious) {
  const titles = (v.via ?? []).map((x) => (typeof x === 'string' ? `via ${x}` : `${x.title ?? ''} ${x.url ?? ''}`.trim()));
  console.log(`  ${v.severity.padEnd(8)} ${name} ${v.range ?? ''}${v.fixAvailable ? ' (fix available)' : ''}: ${titles.join('; ')}`);
}
process.exit(1);
JS
