// Reads deals from the HubSpot CRM API with the private-app token: the webhook carries only
// ids. Batched (100 per call: the batch endpoints' limit), retried with backoff on 429 (after
// Retry-After when given), 5xx and network errors; other answers fail at once.
import { setTimeout as sleep } from 'node:timers/promises';

export const DEAL_PROPERTIES = [
  'amount',
  'closedate',
  'dealstage',
  'deal_currency_code',
  'hs_is_closed',
  'hs_is_closed_won',
  'hs_lastmodifieddate',
];
const BATCH = 100;

export interface HubspotClientOptions {
  apiUrl: string;
  accessToken: string;
  fetch?: typeof fetch;
  /** Attempts per call (default 5). */
  attempts?: number;
  /** First backoff in ms (default 250), doubled each retry. */
  backoffMs?: number;
}

export class HubspotError extends Error {
  override name = 'HubspotError';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

async function post(options: HubspotClientOptions, path: string, body: unknown): Promise<Obj> {
  const doFetch = options.fetch ?? fetch;
  const attempts = options.attempts ?? 5;
  let delay = options.backoffMs ?? 250;
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let response: Response | undefined;
    try {
      response = await doFetch(`${options.apiUrl}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.accessToken}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      last = `network error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (response) {
      if (response.ok || response.status === 207) {
        const json: unknown = await response.json();
        if (!isObj(json)) throw new HubspotError(`${path}: the answer is not a JSON object`);
        return json;
      }
      last = `HTTP ${response.status}`;
      await response.body?.cancel();
      if (response.status !== 429 && response.status < 500) throw new HubspotError(`${path}: ${last}`);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (response.status === 429 && Number.isFinite(retryAfter) && retryAfter > 0)
        delay = Math.max(delay, Math.min(retryAfter * 1000, 30_000));
    }
    if (attempt < attempts) {
      await sleep(delay);
      delay *= 2;
    }
  }
  throw new HubspotError(`${path}: gave up after ${attempts} attempts (${last})`);
}

/** The deals found (v3 objects with `associations.companies`), in the order asked; missing ids left out. */
export async function fetchDeals(
  options: HubspotClientOptions,
  ids: readonly string[],
  partnerProperty: string,
): Promise<Obj[]> {
  const deals: Obj[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += BATCH) {
    const inputs = unique.slice(i, i + BATCH).map((id) => ({ id }));
    const read = await post(options, '/crm/v3/objects/deals/batch/read', {
      properties: [...DEAL_PROPERTIES, partnerProperty],
      propertiesWithHistory: [],
      inputs,
    });
    const assoc = await post(options, '/crm/v4/associations/deals/companies/batch/read', { inputs });
    const companies = new Map<string, string[]>();
    for (const r of Array.isArray(assoc.results) ? (assoc.results as unknown[]) : []) {
      if (!isObj(r) || !isObj(r.from) || !Array.isArray(r.to)) continue;
      companies.set(
        String(r.from.id),
        (r.to as unknown[]).flatMap((t) => (isObj(t) && t.toObjectId !== undefined ? [String(t.toObjectId)] : [])),
      );
    }
    const found = new Map<string, Obj>();
    for (const d of Array.isArray(read.results) ? (read.results as unknown[]) : [])
      if (isObj(d) && d.id !== undefined) found.set(String(d.id), d);
    for (const { id } of inputs) {
      const deal = found.get(id);
      if (!deal) continue;
      const to = companies.get(id) ?? [];
      deals.push({
        ...deal,
        associations: { companies: { results: to.map((c) => ({ id: c, type: 'deal_to_company' })) } },
      });
    }
  }
  return deals;
}
