// The console's pages (SPEC §12), on the same escaping Handlebars instance as the partner page.
import { hbs } from './templates.ts';

hbs.registerPartial(
  'console-top',
  `{{> head}}
<a class="visually-hidden" href="#main">Skip to content</a>
<header class="top"><strong>Tierline console</strong>
<nav aria-label="Console"><ul>
<li><a href="/console">Overview</a></li><li><a href="/console/partners">Partners</a></li>
<li><a href="/console/at-risk">At risk</a></li><li><a href="/console/near-promotion">Near promotion</a></li>
<li><a href="/console/overrides">Overrides</a></li><li><a href="/console/dead-letters">Dead letters</a></li>
<li><a href="/console/reviews">Reviews</a></li><li><a href="/console/finance">Finance</a></li>
<li><a href="/console/programs">Programs</a></li><li><a href="/console/programs/whatif">What-if</a></li></ul></nav>
{{#if csrf}}<form method="post" action="/console/logout"><input type="hidden" name="_csrf" value="{{csrf}}"><button class="secondary" type="submit">Sign out</button></form>{{/if}}
</header>
<main id="main">
{{#if error}}<p class="error" role="alert">{{error}}</p>{{/if}}{{#if notice}}<p class="ok" role="status">{{notice}}</p>{{/if}}`,
);
hbs.registerPartial('console-end', `</main>{{> charts}}</body></html>`);
hbs.registerPartial(
  'by-field',
  `<div><label for="{{id}}-by">Your name (audit log)</label><input id="{{id}}-by" name="by" required maxlength="100" autocomplete="name"></div>`,
);

const compile = (body: string) => hbs.compile(`{{> console-top}}\n${body}\n{{> console-end}}`);

export const LOGIN = hbs.compile(`{{> head}}
<main id="main">
<h1>Tierline console</h1>
{{#if error}}<p class="error" role="alert">{{error}}</p>{{/if}}
<form method="post" action="/console/login" class="card">
<input type="hidden" name="_csrf" value="{{csrf}}">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" required autocomplete="current-password" size="40">
<p><button type="submit">Sign in</button></p>
</form>
</main></body></html>`);

export const OVERVIEW = compile(`<h1>Overview</h1>
<div class="grid">
<section class="card" aria-labelledby="per-tier"><h2 id="per-tier">Partners per tier and track</h2>
<table><thead><tr><th scope="col">Track</th><th scope="col">Tier</th><th scope="col" class="num">Partners</th></tr></thead><tbody>
{{#each tiers}}<tr><td>{{#if track}}{{track}}{{else}}—{{/if}}</td><td><a href="/console/partners?tier={{urlpart tier}}">{{#if tier}}{{tier}}{{else}}none{{/if}}</a></td><td class="num">{{partners}}</td></tr>{{else}}<tr><td colspan="3">No scorecards yet.</td></tr>{{/each}}
</tbody><tfoot><tr><th scope="row" colspan="2">All</th><td class="num">{{total}}</td></tr></tfoot></table>
</section>
<section class="card" aria-labelledby="changes"><h2 id="changes">Tier decisions, last 90 days</h2>
<div class="chart"><canvas data-chart="changes-chart" role="img" aria-label="Tier decisions per day over the last 90 days; the table below has the same data"></canvas></div>
<script type="application/json" id="changes-chart">{{json chart}}</script>
<details><summary>Day by day</summary><table><thead><tr><th scope="col">Day</th><th scope="col" class="num">Decisions</th></tr></thead><tbody>
{{#each days}}{{#if decisions}}<tr><td>{{day}}</td><td class="num">{{decisions}}</td></tr>{{/if}}{{/each}}
</tbody></table></details>
</section></div>`);

export const PARTNERS = compile(`<h1>Partners</h1>
<form method="get" action="/console/partners" class="inline card" role="search">
<div><label for="q">Search id or name</label><input id="q" name="q" value="{{query.q}}" maxlength="200"></div>
<div><label for="tier">Tier</label><input id="tier" name="tier" value="{{query.tier}}" maxlength="200"></div>
<div><label for="status">Status</label><select id="status" name="status"><option value="">any</option>{{#each statuses}}<option value="{{this}}"{{#if (eq this ../query.status)}} selected{{/if}}>{{this}}</option>{{/each}}</select></div>
<div><label for="sort">Sort by</label><select id="sort" name="sort"><option value="id">id</option><option value="name"{{#if (eq query.sort "name")}} selected{{/if}}>name</option></select></div>
<div><label><input type="checkbox" name="risk" value="1"{{#if (eq query.risk "1")}} checked{{/if}}> At risk only</label></div>
<div><button type="submit">Show</button></div>
</form>
<p><a href="/console/partners.csv?{{filters}}">Download these partners as CSV</a></p>
<table><caption class="visually-hidden">Partners</caption><thead><tr><th scope="col">Partner</th><th scope="col">Name</th><th scope="col">Track</th><th scope="col">Tier</th><th scope="col">Status</th><th scope="col">Next risk</th></tr></thead><tbody>
{{#each rows}}<tr><td><a href="/console/partners/{{urlpart partner_id}}">{{partner_id}}</a></td><td>{{name}}</td><td>{{track}}</td><td>{{tier}}</td><td>{{status}}{{#if grace_ends_on}} until {{grace_ends_on}}{{/if}}</td><td>{{first_risk_on}}</td></tr>{{else}}<tr><td colspan="6">No partner matches.</td></tr>{{/each}}
</tbody></table>
{{#if next}}<p><a rel="next" href="/console/partners?{{filters}}&amp;after={{urlpart next}}">Next page</a></p>{{/if}}`);

export const PARTNER_DETAIL = compile(`<h1>{{name}} <span class="muted">({{partnerId}})</span></h1>
{{#if page}}
<section class="card" aria-labelledby="standing"><h2 id="standing">Standing</h2>
<p><span class="badge {{page.scorecard.status}}">{{#if page.effective}}{{page.effective.name}}{{else}}No tier{{/if}}</span> {{statusLine}}</p>
<p class="muted">Qualified: {{#if page.qualified}}{{page.qualified.name}}{{else}}none{{/if}} · as of {{page.scorecard.asOf}} · program {{page.scorecard.program.version}}</p>
{{#if page.progress.length}}<h3>Toward {{page.next.name}}</h3><ul>{{#each page.progress}}<li>{{label}}: {{actual}} of {{required}} ({{shortBy}} short)</li>{{/each}}</ul>{{/if}}
{{#if page.scorecard.risks.length}}<h3>Risks</h3><ul>{{#each page.scorecard.risks}}<li><strong>{{on}}</strong>: {{detail}}</li>{{/each}}</ul>{{/if}}
</section>
{{else}}<p>No scorecard yet.</p>{{/if}}
<section class="card" aria-labelledby="link"><h2 id="link">Partner page</h2>
<form method="post" action="/console/partners/{{urlpart partnerId}}/link" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}">
<div><label for="days">Valid for (days)</label><input id="days" name="days" value="30" inputmode="numeric" size="5"></div><div><button type="submit">Create a link</button></div></form>
{{#if link}}<p>Link (valid through {{link.expiresOn}}): <a href="{{link.url}}">{{link.url}}</a></p>{{/if}}
</section>
<section class="card" aria-labelledby="ovr"><h2 id="ovr">Overrides</h2>
<table><thead><tr><th scope="col">#</th><th scope="col">Tier</th><th scope="col">Days</th><th scope="col">Reason</th><th scope="col">By</th></tr></thead><tbody>
{{#each overrides}}<tr><td>{{id}}</td><td>{{tier_id}}</td><td>{{from_day}} – {{until_day}}</td><td>{{reason}}</td><td>{{created_by}}</td></tr>{{else}}<tr><td colspan="5">No active override.</td></tr>{{/each}}
</tbody></table>
<h3>Set an override</h3>
<form method="post" action="/console/overrides" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="partnerId" value="{{partnerId}}">
<div><label for="o-tier">Tier</label><select id="o-tier" name="tier">{{#each tiers}}<option value="{{id}}">{{name}}</option>{{/each}}</select></div>
<div><label for="o-from">From (default today)</label><input id="o-from" name="from" type="date"></div>
<div><label for="o-until">Until</label><input id="o-until" name="until" type="date" required></div>
<div><label for="o-reason">Reason</label><input id="o-reason" name="reason" required maxlength="500"></div>
{{> by-field id="o"}}<div><button type="submit">Set override</button></div></form>
{{#if overrides.length}}<h3>Clear the overrides</h3>
<form method="post" action="/console/overrides/clear" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="partnerId" value="{{partnerId}}">
<div><label for="c-reason">Reason</label><input id="c-reason" name="reason" required maxlength="500"></div>
{{> by-field id="c"}}<div><button type="submit">Clear overrides</button></div></form>{{/if}}
</section>
<section class="card" aria-labelledby="decisions"><h2 id="decisions">Decisions</h2>
<table><thead><tr><th scope="col">Day</th><th scope="col">Change</th><th scope="col">Qualified</th><th scope="col">Triggers</th><th scope="col">Metrics and criteria</th></tr></thead><tbody>
{{#each decisions}}<tr><td>{{day}}</td><td>{{#if previousTier}}{{previousTier}}{{else}}—{{/if}} → {{#if newTier}}{{newTier}}{{else}}—{{/if}}</td><td>{{qualifiedTier}}</td><td>{{#each triggerEventIds}}{{this}} {{/each}}</td>
<td><details><summary>details</summary><pre>{{detailsText}}</pre></details></td></tr>{{else}}<tr><td colspan="5">No decisions.</td></tr>{{/each}}
</tbody></table></section>
<section class="card" aria-labelledby="ledger"><h2 id="ledger">Ledger (latest {{ledgerLimit}})</h2>
<table><thead><tr><th scope="col">Deal</th><th scope="col">Benefit</th><th scope="col">Kind</th><th scope="col">Closed</th><th scope="col">Tier</th><th scope="col" class="num">Amount</th></tr></thead><tbody>
{{#each ledger}}<tr><td>{{deal_id}}</td><td>{{benefit}}</td><td>{{kind}}</td><td>{{closed_at}}</td><td>{{tier_id}}</td><td class="num">{{amount}} {{currency}}</td></tr>{{else}}<tr><td colspan="6">No entries.</td></tr>{{/each}}
</tbody></table></section>`);

export const AT_RISK = compile(`<h1>At risk</h1>
<table><thead><tr><th scope="col">On</th><th scope="col">Partner</th><th scope="col">Tier</th><th scope="col">What</th></tr></thead><tbody>
{{#each rows}}<tr><td>{{risk_on}}</td><td><a href="/console/partners/{{urlpart partner_id}}">{{#if name}}{{name}}{{else}}{{partner_id}}{{/if}}</a></td><td>{{tier}}</td><td>{{detail}}</td></tr>{{else}}<tr><td colspan="4">No partner is at risk.</td></tr>{{/each}}
</tbody></table>`);

export const NEAR_PROMOTION = compile(`<h1>Near promotion</h1>
<p class="muted">Partners one criterion short of their next tier, as of their last recompute.</p>
<table><thead><tr><th scope="col">Partner</th><th scope="col">Tier</th><th scope="col">Next</th><th scope="col">Short of</th><th scope="col">As of</th></tr></thead><tbody>
{{#each rows}}<tr><td><a href="/console/partners/{{urlpart partner_id}}">{{#if name}}{{name}}{{else}}{{partner_id}}{{/if}}</a></td><td>{{tier}}</td><td>{{next_tier}}</td><td>{{metric}} by {{short_by}}</td><td>{{as_of}}</td></tr>{{else}}<tr><td colspan="5">No partner is one criterion away.</td></tr>{{/each}}
</tbody></table>`);

export const OVERRIDES = compile(`<h1>Overrides</h1>
<table><thead><tr><th scope="col">#</th><th scope="col">Partner</th><th scope="col">Tier</th><th scope="col">Days</th><th scope="col">Reason</th><th scope="col">By</th></tr></thead><tbody>
{{#each rows}}<tr><td>{{id}}</td><td><a href="/console/partners/{{urlpart partner_id}}">{{partner_id}}</a></td><td>{{tier_id}}</td><td>{{from_day}} – {{until_day}}</td><td>{{reason}}</td><td>{{created_by}}</td></tr>{{else}}<tr><td colspan="6">No active override.</td></tr>{{/each}}
</tbody></table>
<section class="card" aria-labelledby="set"><h2 id="set">Set an override</h2>
<form method="post" action="/console/overrides" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}">
<div><label for="s-partner">Partner id</label><input id="s-partner" name="partnerId" required maxlength="200" value="{{form.partnerId}}"></div>
<div><label for="s-tier">Tier id</label><input id="s-tier" name="tier" required maxlength="200" value="{{form.tier}}"></div>
<div><label for="s-from">From (default today)</label><input id="s-from" name="from" type="date" value="{{form.from}}"></div>
<div><label for="s-until">Until</label><input id="s-until" name="until" type="date" required value="{{form.until}}"></div>
<div><label for="s-reason">Reason</label><input id="s-reason" name="reason" required maxlength="500" value="{{form.reason}}"></div>
{{> by-field id="s"}}<div><button type="submit">Set override</button></div></form></section>`);

export const DEAD_LETTERS = compile(`<h1>Dead letters</h1>
<p>{{#if all}}<a href="/console/dead-letters">Pending only</a>{{else}}<a href="/console/dead-letters?all=1">Include replayed ones</a>{{/if}}</p>
<form method="post" action="/console/dead-letters/replay">
<input type="hidden" name="_csrf" value="{{csrf}}">
<table><thead><tr><th scope="col">Replay</th><th scope="col">#</th><th scope="col">Source</th><th scope="col">Event</th><th scope="col">Reason</th><th scope="col" class="num">Seen</th><th scope="col">Last seen</th><th scope="col">Replayed</th></tr></thead><tbody>
{{#each rows}}<tr><td>{{#unless replayed_at}}<input type="checkbox" name="id" value="{{id}}" id="dl-{{id}}" aria-label="replay dead letter {{id}}">{{/unless}}</td><td><a href="/console/dead-letters/{{id}}">{{id}}</a></td><td>{{source}}</td><td>{{event_id}}</td><td>{{reasonText}}</td><td class="num">{{attempts}}</td><td>{{lastSeen}}</td><td>{{replayedAt}}</td></tr>{{else}}<tr><td colspan="8">No dead letters.</td></tr>{{/each}}
</tbody></table>
{{#if rows.length}}<div class="inline">{{> by-field id="r"}}</div><p><button type="submit">Replay the checked ones</button></p>{{/if}}
</form>
{{#if next}}<p><a rel="next" href="/console/dead-letters?{{#if all}}all=1&amp;{{/if}}before={{next}}">Older</a></p>{{/if}}`);

export const DEAD_LETTER = compile(`<h1>Dead letter #{{row.id}}</h1>
<dl><dt>Source</dt><dd>{{row.source}}</dd><dt>Event id</dt><dd>{{row.event_id}}</dd><dt>From</dt><dd>{{row.origin}}{{#if row.origin_line}} line {{row.origin_line}}{{/if}}</dd>
<dt>Seen</dt><dd>{{row.attempts}} times, last {{lastSeen}}</dd><dt>Replayed</dt><dd>{{#if replayedAt}}{{replayedAt}}{{else}}no{{/if}}</dd></dl>
<h2>Reason</h2><pre>{{reasonText}}</pre>
<h2>As received</h2><pre>{{row.rawText}}</pre>
{{#unless replayedAt}}<form method="post" action="/console/dead-letters/replay" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="id" value="{{row.id}}">
{{> by-field id="one"}}<div><button type="submit">Replay</button></div></form>{{/unless}}`);

export const PROGRAMS = compile(`<h1>Programs</h1>
<table><thead><tr><th scope="col">Program</th><th scope="col">Version</th><th scope="col">Effective from</th><th scope="col">Loaded</th></tr></thead><tbody>
{{#each rows}}<tr><td>{{program_id}}</td><td>{{version}}</td><td>{{effective_from}}</td><td>{{loadedAt}}</td></tr>{{else}}<tr><td colspan="4">No program loaded.</td></tr>{{/each}}
</tbody></table>
<p><a href="/console/programs/whatif">Try a draft version (what-if)</a></p>`);

export const REVIEWS = compile(`<h1>Demotion reviews</h1>
<p class="muted">Demotions held for a person's decision. Approving lets the demotion take effect today; rejecting keeps the tier and starts a new grace period today. Undecided reviews approve themselves on the day shown.</p>
<table><caption class="visually-hidden">Pending demotion reviews</caption><thead><tr><th scope="col">Partner</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Since</th><th scope="col">Auto-approves on</th><th scope="col">Decide</th></tr></thead><tbody>
{{#each rows}}<tr><td><a href="/console/partners/{{urlpart partnerId}}">{{partnerId}}</a></td><td>{{fromTier}}</td><td>{{toTier}}</td><td>{{since}}</td><td>{{autoApprovesOn}}</td>
<td><form method="post" action="/console/reviews" class="inline"><input type="hidden" name="_csrf" value="{{../csrf}}"><input type="hidden" name="partnerId" value="{{partnerId}}">
<div><label for="rv-{{@index}}-reason">Reason (required to reject)</label><input id="rv-{{@index}}-reason" name="reason" maxlength="500"></div>
<div><label for="rv-{{@index}}-by">Your name (audit log)</label><input id="rv-{{@index}}-by" name="by" required maxlength="100" autocomplete="name"></div>
<div><button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="reject" class="secondary">Reject</button></div></form></td></tr>{{else}}<tr><td colspan="6">No pending demotion reviews.</td></tr>{{/each}}
</tbody></table>`);

const REPORT_STATUS = `<section class="card" aria-labelledby="run-status"><h2 id="run-status">{{#if done}}Computed at {{finishedAt}}{{else if failed}}Failed at {{finishedAt}}{{else if startedAt}}Running since {{startedAt}}{{else}}Queued since {{createdAt}}{{/if}}</h2>
<p id="run-state" data-status="{{status}}">{{#if done}}Computed at {{finishedAt}}, as of {{params.asOf}}, submitted by {{requestedBy}}.{{else if failed}}This run failed: <span id="run-error">{{runError}}</span>{{else}}A recompute worker is computing this run; this page reloads every few seconds until it is done.{{/if}}</p></section>`;

export const FINANCE = compile(`<h1>Finance</h1>
<p class="muted">Entitled and paid per partner and benefit for a period. Every partner is evaluated, which takes a while: the report is computed in the background and kept; the same period and day asked again show the run already made.</p>
<form method="post" action="/console/finance" class="inline card"><input type="hidden" name="_csrf" value="{{csrf}}">
<div><label for="period">Period (YYYY, YYYY-Qn or YYYY-MM)</label><input id="period" name="period" required maxlength="40" value="{{query.period}}"></div>
<div><label for="asOf">As of (default today)</label><input id="asOf" name="asOf" type="date" value="{{query.asOf}}"></div>
<div><button type="submit">Show</button></div>
</form>`);

export const FINANCE_RUN = compile(`<h1>Finance {{params.period}}</h1>
${REPORT_STATUS}
{{#if report}}
<section class="card" aria-labelledby="totals"><h2 id="totals">{{report.period}} as of {{report.asOf}} ({{report.programId}}, {{report.currency}})</h2>
<dl id="finance-totals"><dt>Entitled</dt><dd>{{report.totals.entitled}}</dd><dt>Paid</dt><dd>{{report.totals.paid}}</dd>
<dt>Overpaid</dt><dd>{{report.totals.overpaid}}</dd><dt>Underpaid</dt><dd>{{report.totals.underpaid}}</dd>
<dt>Overpaid share of entitled</dt><dd>{{#if report.totals.overpaidShare}}{{report.totals.overpaidShare}}%{{else}}—{{/if}}</dd></dl>
<p><a id="finance-csv" href="/console/finance/runs/{{id}}/finance.csv" download>Download these rows as CSV</a></p>
</section>
<table><caption class="visually-hidden">Entitled and paid per partner and benefit</caption><thead><tr><th scope="col">Partner</th><th scope="col">Benefit</th><th scope="col" class="num">Entitled</th><th scope="col" class="num">Paid</th><th scope="col" class="num">Difference</th></tr></thead><tbody>
{{#each report.rows}}<tr><td><a href="/console/partners/{{urlpart partnerId}}">{{partnerId}}</a></td><td>{{benefit}}</td><td class="num">{{entitled}}</td><td class="num">{{paid}}</td><td class="num">{{difference}}</td></tr>{{else}}<tr><td colspan="5">No entitlements or payouts for this period.</td></tr>{{/each}}
</tbody></table>
{{#if more}}<p class="muted">The first {{shown}} of {{report.count}} rows; the CSV has them all.</p>{{/if}}
{{/if}}
<p><a href="/console/finance">Another period</a></p>`);

export const WHATIF = compile(`<h1>What-if</h1>
<p class="muted">A draft program version evaluated alone over the stored history, beside the current results. Nothing but the comparison is stored: it is computed in the background and kept, and the same draft and day asked again show the run already made. JSON or YAML, one version, up to 64 KB.</p>
<form method="post" action="/console/programs/whatif" class="card"><input type="hidden" name="_csrf" value="{{csrf}}">
<div><label for="draft">Draft program version</label><textarea id="draft" name="draft" rows="16" cols="80" required spellcheck="false">{{draft}}</textarea></div>
<div class="inline"><div><label for="w-asOf">As of (default today)</label><input id="w-asOf" name="asOf" type="date" value="{{asOf}}"></div>
<div><button type="submit">Compare</button></div></div>
</form>
{{#if problems.length}}<section class="card" aria-labelledby="problems"><h2 id="problems">Draft refused</h2><ul id="draft-problems">{{#each problems}}<li>{{this}}</li>{{/each}}</ul></section>{{/if}}`);

export const WHATIF_RUN = compile(`<h1>What-if</h1>
${REPORT_STATUS}
{{#if result}}
<h2>As of {{result.asOf}}: {{result.partners}} partners, draft {{result.draftVersion}}</h2>
{{#each result.tracks}}<section class="card" aria-labelledby="track-{{@index}}"><h3 id="track-{{@index}}">Track {{track}}</h3>
<table class="whatif-matrix"><caption>Rows: current tier; columns: draft tier</caption><thead><tr><th scope="col">Current / draft</th>{{#each tiers}}<th scope="col" class="num">{{this}}</th>{{/each}}</tr></thead><tbody>
{{#each rows}}<tr><th scope="row">{{from}}</th>{{#each counts}}<td class="num">{{this}}</td>{{/each}}</tr>{{/each}}
</tbody></table></section>{{/each}}
<section class="card" aria-labelledby="ledger-totals"><h2 id="ledger-totals">Ledger totals</h2>
<table><thead><tr><th scope="col">Benefit</th><th scope="col" class="num">Current program</th><th scope="col" class="num">Draft</th><th scope="col" class="num">Difference (draft − current)</th></tr></thead><tbody>
{{#each result.ledger}}<tr><th scope="row">{{name}}</th><td class="num">{{current}}</td><td class="num">{{draft}}</td><td class="num">{{difference}}</td></tr>{{/each}}
</tbody></table></section>
<section class="card" aria-labelledby="moved"><h2 id="moved">Partners that move: {{result.movedCount}}</h2>
<table><thead><tr><th scope="col">Partner</th><th scope="col">Current</th><th scope="col">Draft</th></tr></thead><tbody>
{{#each result.moved}}<tr><td><a href="/console/partners/{{urlpart partnerId}}">{{partnerId}}</a></td><td>{{from}}</td><td>{{to}}</td></tr>{{else}}<tr><td colspan="3">No partner moves.</td></tr>{{/each}}
</tbody></table>
{{#if moreMoved}}<p class="muted">The first {{movedShown}} of {{result.movedCount}}; <code>tierline whatif --json</code> lists every partner.</p>{{/if}}</section>
{{/if}}
<details><summary>The draft compared</summary><pre>{{params.draft}}</pre></details>
<p><a href="/console/programs/whatif">Another draft</a></p>`);

export const MESSAGE = compile(`<h1>{{heading}}</h1><p>{{message}}</p>`);
