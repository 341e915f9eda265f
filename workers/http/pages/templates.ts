// The pages as Handlebars templates (already Tierline's template engine for emails): every
// {{value}} is HTML-escaped, so names, ids and reasons from source systems or forms cannot
// inject markup; triple braces are never used on data. Chart data goes into
// <script type="application/json"> through the `json` helper, which escapes `<` so no value
// can close the script element. Templates live in this module (compiled once, no file I/O).
import Handlebars from 'handlebars';
import { ASSET_PATH } from './assets.ts';

const hbs = Handlebars.create();

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** '2027-01-14' → '14 Jan 2027'; anything else as it is. */
export function longDate(value: unknown): string {
  if (typeof value !== 'string') return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return value;
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1] ?? m[2]} ${m[1]}`;
}

/** JSON that is safe inside a <script> element: `<`, `>`, `&` and line separators escaped. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

hbs.registerHelper('date', (value: unknown) => longDate(value));
hbs.registerHelper('json', (value: unknown) => new hbs.SafeString(scriptJson(value)));
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerHelper('rate', (value: unknown) => {
  // A rate the tier leaves out is 0 (program.md: "a missing rate is 0").
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? `${Math.round(n * 10_000) / 100}%` : String(value ?? '');
});
hbs.registerHelper('urlpart', (value: unknown) => encodeURIComponent(String(value ?? '')));

hbs.registerPartial(
  'head',
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} · Tierline</title>
{{#if refresh}}<meta http-equiv="refresh" content="{{refresh}}">{{/if}}
<link rel="stylesheet" href="${ASSET_PATH}/tierline.css">
</head>
<body>`,
);

hbs.registerPartial(
  'charts',
  `<script src="${ASSET_PATH}/chart.umd.min.js" defer></script>
<script src="${ASSET_PATH}/charts.js" defer></script>`,
);

const PARTNER = hbs.compile(`{{> head}}
<header class="top"><span><strong>{{program}}</strong> partner standing</span></header>
<main>
<h1>{{page.name}}</h1>
<section class="card" aria-labelledby="standing">
<h2 id="standing">Your tier</h2>
<p><span class="badge {{page.scorecard.status}}">{{#if page.effective}}{{page.effective.name}}{{else}}No tier yet{{/if}}</span></p>
<p id="status-line">{{statusLine}}</p>
{{#if page.qualified}}<p class="muted">Qualified tier today: <strong>{{page.qualified.name}}</strong>. As of {{date page.scorecard.asOf}}.</p>{{/if}}
</section>
{{#if page.next}}
<section class="card" aria-labelledby="progress">
<h2 id="progress">Toward {{page.next.name}}</h2>
{{#each page.progress}}
<div class="criterion">
<label for="progress-{{@index}}">{{label}}: {{actual}} of {{required}} ({{shortBy}} to go)</label>
<progress id="progress-{{@index}}" max="100" value="{{percent}}">{{percent}}%</progress>
</div>
{{else}}<p>Every criterion of {{page.next.name}} is met; the change shows at the next recompute.</p>{{/each}}
</section>
{{/if}}
<section class="card" aria-labelledby="risks">
<h2 id="risks">Dates to watch</h2>
{{#if page.scorecard.risks.length}}
<ul>{{#each page.scorecard.risks}}<li><strong>{{date on}}</strong>: {{detail}}</li>{{/each}}</ul>
{{else}}<p>No risk to your tier is dated yet.</p>{{/if}}
</section>
<div class="grid">
<section class="card" aria-labelledby="benefits">
<h2 id="benefits">Benefits at your tier</h2>
<table><caption class="visually-hidden">Benefit rates</caption><thead><tr><th scope="col">Benefit</th><th scope="col" class="num">Rate</th></tr></thead><tbody>
<tr><th scope="row">Commission</th><td class="num">{{rate page.scorecard.benefits.commissionRate}}</td></tr>
<tr><th scope="row">Market development funds</th><td class="num">{{rate page.scorecard.benefits.mdfRate}}</td></tr>
<tr><th scope="row">Rebate</th><td class="num">{{rate page.scorecard.benefits.rebateRate}}</td></tr>
</tbody></table>
</section>
<section class="card" aria-labelledby="ledger">
<h2 id="ledger">Earned so far</h2>
<table><caption class="visually-hidden">Ledger totals</caption><thead><tr><th scope="col">Benefit</th><th scope="col" class="num">Total</th></tr></thead><tbody>
{{#each page.ledger}}<tr><th scope="row">{{benefit}}</th><td class="num">{{total}} {{currency}}</td></tr>{{else}}<tr><td colspan="2">Nothing yet.</td></tr>{{/each}}
</tbody></table>
</section>
</div>
{{#if counted}}
<section class="card" aria-labelledby="counted">
<h2 id="counted">What counted</h2>
<h3>Won deals closed from {{date counted.from}} to {{date page.scorecard.asOf}}</h3>
<table><caption class="visually-hidden">Won deals, newest first</caption><thead><tr><th scope="col">Deal</th><th scope="col">Closed</th><th scope="col">Customer</th><th scope="col" class="num">Amount</th></tr></thead><tbody>
{{#each counted.deals}}<tr><td>{{deal_id}}</td><td>{{date closed_at}}</td><td>{{customer_id}}</td><td class="num">{{amount}} {{currency}}</td></tr>{{else}}<tr><td colspan="4">No won deal in these 12 months.</td></tr>{{/each}}
</tbody></table>
{{#if counted.next}}<p><a rel="next" href="{{counted.self}}?deals={{urlpart counted.next}}#counted">Older deals</a></p>{{/if}}
<h3>Certifications held</h3>
<table><caption class="visually-hidden">Certifications held on the as-of day</caption><thead><tr><th scope="col">Person</th><th scope="col">Certification</th><th scope="col">Earned</th><th scope="col">Expires</th></tr></thead><tbody>
{{#each counted.certifications}}<tr><td>{{person_id}}</td><td>{{certification_id}}</td><td>{{date earned_at}}</td><td>{{#if expires_at}}{{date expires_at}}{{else}}—{{/if}}</td></tr>{{else}}<tr><td colspan="4">None.</td></tr>{{/each}}
</tbody></table>
</section>
{{/if}}
<section class="card" aria-labelledby="history">
<h2 id="history">Your tier over the last 24 months</h2>
<div class="chart"><canvas data-chart="tier-chart" role="img" aria-label="Effective tier at the start of each of the last 24 months; the table below has the same data"></canvas></div>
<script type="application/json" id="tier-chart">{{json chart}}</script>
<details><summary>Month by month</summary>
<table><thead><tr><th scope="col">Month</th><th scope="col">Tier</th></tr></thead><tbody>
{{#each page.history}}<tr><td>{{month}}</td><td>{{#if tierName}}{{tierName}}{{else}}—{{/if}}</td></tr>{{/each}}
</tbody></table></details>
</section>
</main>
{{> charts}}
</body></html>`);

const NOT_FOUND = hbs.compile(`{{> head}}
<main><h1>Page not found</h1><p>This link is not valid or has expired. Ask your partner manager for a new one.</p></main>
</body></html>`);

export interface PartnerView {
  title: string;
  program: string;
  statusLine: string;
  page: unknown;
  chart: unknown;
  counted?: unknown;
}

export const renderPartner = (view: PartnerView): string => PARTNER(view);
export const renderNotFound = (): string => NOT_FOUND({ title: 'Not found' });
export { hbs };
