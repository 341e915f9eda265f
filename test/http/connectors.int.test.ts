// The live connectors on `serve` with each source's real client or documented wire format:
// Stripe signatures from the `stripe` package, statements posted by the @xapi/xapi client,
// Outbound Message XML as Salesforce's WSDL shapes it, HubSpot v3 signatures with a local
// server standing in for the CRM API. Refused requests queue nothing; accepted ones apply once.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import xapiPackage from '@xapi/xapi';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMapping, type Mapping } from '../../domain/connectors/mapping.ts';
import { dayOrThrow } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { QUEUES } from '../../queues/catalog.ts';
import { loadRatesFile } from '../../services/connectors/fx.ts';
import { hubspotSignature } from '../../workers/http/connectors/hubspot.ts';
import type { ConnectorSettings } from '../../workers/http/connectors/settings.ts';
import { buildServer } from '../../workers/http/server.ts';
import { signBody } from '../../workers/http/signature.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';

// The package's types describe an ES module with a default export; Node loads its CommonJS
// build, whose module.exports is the class itself.
const XAPI = ((xapiPackage as { default?: unknown }).default ?? xapiPackage) as typeof xapiPackage.default;

const ORG = '00D5g000004XyzQEAS';
const TOKEN = 'sf-token-0123456789abcdef';
const STRIPE_SECRET = 'whsec_test_0123456789abcdef';
const HUBSPOT_SECRET = 'hubspot-client-secret-0123';
const HUBSPOT_TOKEN = 'pat-na1-test-token';
const XAPI_KEY = 'lms';
const XAPI_SECRET = 'lrs-secret-0123456789';
const CRM_SECRET = 'crm-secret-0123456789abcdef';
const SALES_EXPERT = 'https://academy.example/certifications/sales-expert';

function mapping(): Mapping {
  const loaded = loadMapping(`
partners:
  "0015g00000PrT7kAAB": P-1042
salesforce:
  organizationId: ${ORG}
  partnerField: PartnerAccountId
  registeredAtField: Deal_Registered_On__c
  defaultCurrency: USD
hubspot:
  partnerProperty: tierline_partner_id
  closedLostStages: [closedlost]
stripe:
  partnerMetadataKey: partner_id
xapi:
  certifications:
    "${SALES_EXPERT}": sales-expert
  validForDays: 730
`);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.value;
}

const outbound = readFileSync('test/fixtures/connectors/outbound-message.xml', 'utf8');
/** The fixture with the won opportunity only, for the given amount. */
const wonOnly = (amount: string) =>
  outbound
    .replace(/<Notification>\s*<Id>04l5g00000AbCdFAAV[\s\S]*?<\/Notification>/, '')
    .replace(/<Notification>\s*<Id>04l5g00000AbCdGAAV[\s\S]*?<\/Notification>/, '')
    .replace('<sf:Amount>48250.0</sf:Amount>', `<sf:Amount>${amount}</sf:Amount>`);

const statement = (id: string, person: string, timestamp = '2026-11-20T16:00:00Z') => ({
  id,
  actor: { objectType: 'Agent' as const, account: { homePage: 'https://academy.example', name: person } },
  verb: { id: 'http://adlnet.gov/expapi/verbs/passed', display: { 'en-US': 'passed' } },
  object: { objectType: 'Activity' as const, id: SALES_EXPERT },
  result: { success: true },
  context: { team: { objectType: 'Group' as const, account: { homePage: 'https://crm.example', name: 'P-1042' } } },
  timestamp,
});

const invoicePaid = {
  id: 'evt_1QInvoicePaid',
  object: 'event',
  type: 'invoice.paid',
  data: {
    object: {
      id: 'in_1QInvoice',
      object: 'invoice',
      amount_paid: 1250000,
      currency: 'usd',
      billing_reason: 'subscription_cycle',
      metadata: { partner_id: 'P-1042' },
      status_transitions: { paid_at: Math.floor(Date.UTC(2026, 10, 21, 12) / 1000) },
    },
  },
};

async function queued(pipeline: Pipeline): Promise<number> {
  let total = 0;
  for (const name of [QUEUES.crm, QUEUES.lms, QUEUES.erp]) {
    const c = await pipeline.queues[name].getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    total += Object.values(c).reduce((a, b) => a + b, 0);
  }
  return total;
}

/** A stand-in for the HubSpot CRM API: documented v3/v4 batch answers, one 429 first. */
function hubspotApi(deals: Record<string, Record<string, string>>) {
  const calls: string[] = [];
  let throttled = false;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      if (req.headers.authorization !== `Bearer ${HUBSPOT_TOKEN}`) {
        res.writeHead(401).end(JSON.stringify({ status: 'error', category: 'INVALID_AUTHENTICATION' }));
        return;
      }
      if (!throttled) {
        throttled = true;
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', errorType: 'RATE_LIMIT' }));
        return;
      }
      const inputs = (JSON.parse(body) as { inputs: Array<{ id: string }> }).inputs;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/crm/v3/objects/deals/batch/read')
        res.end(
          JSON.stringify({
            status: 'COMPLETE',
            results: inputs
              .filter((i) => deals[i.id])
              .map((i) => ({ id: i.id, properties: deals[i.id], archived: false })),
          }),
        );
      else
        res.end(
          JSON.stringify({
            status: 'COMPLETE',
            results: inputs.map((i) => ({
              from: { id: i.id },
              to: [{ toObjectId: 5550001, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 5 }] }],
            })),
          }),
        );
    });
  });
  return { server, calls };
}

describeWithPostgres('connectors on serve', () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;
  let base: string;
  let hubspot: ReturnType<typeof hubspotApi>;
  const now = Date.now();

  beforeAll(async () => {
    pipeline = await createPipeline();
    hubspot = hubspotApi({
      '9876543210': {
        amount: '1000',
        closedate: '2026-11-21T03:30:00.000Z',
        dealstage: 'closedwon',
        hs_is_closed: 'true',
        hs_is_closed_won: 'true',
        hs_lastmodifieddate: '2026-11-21T03:31:00.000Z',
        tierline_partner_id: 'P-2001',
      },
    });
    await new Promise<void>((resolve) => hubspot.server.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(hubspot.server.address() as AddressInfo).port}`;
    const connectors: ConnectorSettings = {
      mapping: mapping(),
      salesforceToken: TOKEN,
      hubspot: { clientSecret: HUBSPOT_SECRET, accessToken: HUBSPOT_TOKEN, apiUrl },
      stripeSecret: STRIPE_SECRET,
      xapi: { key: XAPI_KEY, secret: XAPI_SECRET },
    };
    app = buildServer({
      queues: pipeline.queues,
      db: pipeline.database.db,
      secrets: { crm: CRM_SECRET },
      log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      connectors,
      now: () => now,
      adminToken: null,
      metricsTokens: [],
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => hubspot?.server.close(resolve));
    await pipeline?.stop();
  });

  const sf = (body: string, token = TOKEN) =>
    app.inject({
      method: 'POST',
      url: `/connectors/salesforce?token=${encodeURIComponent(token)}`,
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
      payload: body,
    });
  const stripe = (body: string, header: string) =>
    app.inject({
      method: 'POST',
      url: '/connectors/stripe',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
      payload: body,
    });
  const stripeHeader = (payload: string, timestamp = Math.floor(now / 1000), secret = STRIPE_SECRET) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
  const hubspotPost = (body: string, timestamp = now, secret = HUBSPOT_SECRET) => {
    const uri = `${base}/connectors/hubspot`;
    return fetch(uri, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': String(timestamp),
        'x-hubspot-signature-v3': hubspotSignature(secret, 'POST', uri, body, String(timestamp)),
      },
      body,
    });
  };
  const xapiClient = (key = XAPI_KEY, secret = XAPI_SECRET) =>
    new XAPI({ endpoint: `${base}/xapi/`, auth: XAPI.toBasicAuth(key, secret) });

  describe('hostile input: the right 4xx and nothing queued', () => {
    it.each([
      ['a wrong token', () => sf(wonOnly('1.0'), 'wrong-token'), 401],
      ['another org', () => sf(wonOnly('1.0').replace(ORG, '00D5g000009OtherQAS')), 403],
      [
        'an entity bomb',
        () =>
          sf(
            `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>${wonOnly('1.0').replace('<sf:Name>', '<sf:Name>&lol1;')}`,
          ),
        400,
      ],
      [
        'an external entity',
        () => sf(`<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${wonOnly('1.0').replace('Acme', '&xxe;')}`),
        400,
      ],
      [
        '101 Notifications',
        () => {
          const one = /<Notification>[\s\S]*?<\/Notification>/.exec(outbound)?.[0] ?? '';
          return sf(outbound.replace(one, one.repeat(101)));
        },
        400,
      ],
      ['JSON to Salesforce', () => sf('{"a":1}'), 400],
      ['a wrong Stripe signature', () => stripe(JSON.stringify(invoicePaid), stripeHeader('{"other":1}')), 400],
      [
        'a stale Stripe signature',
        () =>
          stripe(JSON.stringify(invoicePaid), stripeHeader(JSON.stringify(invoicePaid), Math.floor(now / 1000) - 301)),
        400,
      ],
      ['an unsigned Stripe event', () => stripe(JSON.stringify(invoicePaid), ''), 400],
    ])('%s', async (_what, send, status) => {
      const before = await queued(pipeline);
      const res = await send();
      expect(res.statusCode).toBe(status);
      expect(await queued(pipeline)).toBe(before);
    });

    it('HubSpot: wrong secret, stale timestamp, non-JSON', async () => {
      const before = await queued(pipeline);
      const body = JSON.stringify([{ objectId: 9876543210, subscriptionType: 'deal.creation' }]);
      expect((await hubspotPost(body, now, 'not-the-secret')).status).toBe(401);
      expect((await hubspotPost(body, now - 5 * 60 * 1000 - 1)).status).toBe(401);
      expect((await hubspotPost('not json')).status).toBe(400);
      expect(await queued(pipeline)).toBe(before);
      expect(hubspot.calls).toEqual([]);
    });

    it('xAPI: wrong credentials, no version header, non-JSON, huge statements', async () => {
      const before = await queued(pipeline);
      await expect(
        xapiClient('lms', 'wrong').sendStatement({ statement: statement('00000000-0000-4000-8000-000000000001', 'x') }),
      ).rejects.toMatchObject({ response: { status: 401 } });
      const post = (body: string, headers: Record<string, string>) =>
        app.inject({
          method: 'POST',
          url: '/xapi/statements',
          headers: { 'content-type': 'application/json', ...headers },
          payload: body,
        });
      const auth = { authorization: `Basic ${Buffer.from(`${XAPI_KEY}:${XAPI_SECRET}`).toString('base64')}` };
      const one = JSON.stringify(statement('00000000-0000-4000-8000-000000000002', 'x'));
      expect((await post(one, auth)).statusCode).toBe(400);
      expect((await post('not json', { ...auth, 'x-experience-api-version': '1.0.3' })).statusCode).toBe(400);
      const huge = {
        ...statement('00000000-0000-4000-8000-000000000003', 'x'),
        result: { response: 'x'.repeat(70_000) },
      };
      expect((await post(JSON.stringify(huge), { ...auth, 'x-experience-api-version': '1.0.3' })).statusCode).toBe(413);
      expect(await queued(pipeline)).toBe(before);
    });

    it('a connector without its settings answers 404', async () => {
      const bare = buildServer({
        queues: pipeline.queues,
        db: pipeline.database.db,
        secrets: {},
        log: pino({ level: 'silent' }),
        adminToken: null,
        metricsTokens: [],
      });
      for (const url of [
        '/connectors/salesforce?token=x',
        '/connectors/hubspot',
        '/connectors/stripe',
        '/xapi/statements',
      ])
        expect(
          (await bare.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{}' }))
            .statusCode,
          url,
        ).toBe(404);
      await bare.close();
    });
  });

  describe('accepted', () => {
    it('HubSpot: the deals named are fetched (with the token, after a 429) and queued', async () => {
      const before = await queued(pipeline);
      const body = JSON.stringify([
        { eventId: 1, subscriptionType: 'deal.propertyChange', objectId: 9876543210, propertyName: 'dealstage' },
        { eventId: 2, subscriptionType: 'deal.creation', objectId: 1111 },
      ]);
      const res = await hubspotPost(body);
      expect(res.status).toBe(204);
      expect(hubspot.calls.every((c) => c.endsWith(`Bearer ${HUBSPOT_TOKEN}`))).toBe(true);
      expect(hubspot.calls.map((c) => c.split(' ')[1])).toEqual([
        '/crm/v3/objects/deals/batch/read',
        '/crm/v3/objects/deals/batch/read',
        '/crm/v4/associations/deals/companies/batch/read',
      ]);
      expect(await queued(pipeline)).toBe(before + 1);
    });

    it('Salesforce: a record that cannot convert is dead-lettered, the others queued, then the Ack', async () => {
      const before = await queued(pipeline);
      const res = await sf(outbound);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/xml');
      expect(res.body).toContain('<Ack>true</Ack>');
      expect(await queued(pipeline)).toBe(before + 1);
      const dead = await pipeline.database.db
        .selectFrom('dead_letters')
        .select(['source', 'reason'])
        .where('origin', 'like', 'POST /connectors/salesforce%')
        .execute();
      expect(dead).toEqual([
        {
          source: 'crm',
          reason: expect.objectContaining({
            message: 'Notification 04l5g00000AbCdEAAV: no FX rate for EUR on or before 2026-11-20',
          }) as unknown,
        },
      ]);
    });

    it('xAPI: the client gets the statement ids back; a PUT answers 204', async () => {
      const client = xapiClient();
      const res = await client.sendStatement({
        statement: statement('6690e6c9-3ef0-4ed3-8b37-7f3964730be1', 'person-1'),
      });
      expect(res.data).toEqual(['6690e6c9-3ef0-4ed3-8b37-7f3964730be1']);
      const put = await client.sendStatement({
        statement: statement('6690e6c9-3ef0-4ed3-8b37-7f3964730be2', 'person-2'),
      });
      expect(put.status).toBe(200);
    });

    it('xAPI: a voided statement, remembered from an earlier request, becomes a revocation', async () => {
      const client = xapiClient();
      const earnedId = '8890e6c9-3ef0-4ed3-8b37-7f3964730be9';
      await client.sendStatement({ statement: statement(earnedId, 'person-9') });
      const before = await queued(pipeline);
      const voidingId = '9990e6c9-3ef0-4ed3-8b37-7f3964730be9';
      const res = await client.sendStatement({
        statement: {
          id: voidingId,
          actor: { mbox: 'mailto:admin@academy.example' },
          verb: { id: 'http://adlnet.gov/expapi/verbs/voided', display: { 'en-US': 'voided' } },
          object: { objectType: 'StatementRef', id: earnedId },
          timestamp: '2026-11-25T09:00:00Z',
        },
      });
      expect(res.data).toEqual([voidingId]);
      expect(await queued(pipeline)).toBe(before + 1);
      const job = (await pipeline.queues.lms.getJobs(['waiting'])).find((j) =>
        JSON.stringify(j.data).includes(`xapi-${voidingId}`),
      );
      const event = JSON.parse((job?.data as { events: Array<{ raw: string }> }).events[0]?.raw ?? '{}') as unknown;
      expect(event).toMatchObject({
        type: 'certification.revoked',
        partnerId: 'P-1042',
        data: { personId: 'person-9', certificationId: 'sales-expert', revokedAt: '2026-11-25' },
      });
    });

    it('end to end: a closed-won EUR opportunity, a passed statement, a paid invoice → the tier evaluate gives', async () => {
      await loadRatesFile(
        pipeline.database.db,
        'date,currency,rate\n2026-11-19,EUR,1.0842\n2026-11-25,EUR,9\n',
        'rates.csv',
      );
      const partner = JSON.stringify({
        id: 'crm-p-1042-v1',
        source: 'crm',
        type: 'partner.upserted',
        occurredAt: '2026-10-01T09:00:00Z',
        partnerId: 'P-1042',
        data: { name: 'Contoso', partnerType: 'reseller', contacts: [], version: 1 },
      });
      const signed = await app.inject({
        method: 'POST',
        url: '/events/crm',
        headers: {
          'content-type': 'application/json',
          'x-tierline-signature': signBody(CRM_SECRET, partner, Math.floor(now / 1000)),
        },
        payload: partner,
      });
      expect(signed.statusCode).toBe(202);
      // 240000 EUR × 1.0842 = 260208 USD: silver's 250000 only with the loaded rate.
      const ack = await sf(wonOnly('240000.0'));
      expect(ack.statusCode).toBe(200);
      expect(ack.body).toContain('<Ack>true</Ack>');
      expect((await sf(wonOnly('240000.0'))).statusCode).toBe(200);
      const paid = JSON.stringify(invoicePaid);
      expect((await stripe(paid, stripeHeader(paid))).statusCode).toBe(200);
      expect((await stripe(paid, stripeHeader(paid))).statusCode).toBe(200);

      const client = xapiClient();
      for (const [id, person] of [
        ['7790e6c9-3ef0-4ed3-8b37-7f3964730be1', 'person-11'],
        ['7790e6c9-3ef0-4ed3-8b37-7f3964730be2', 'person-12'],
      ] as const)
        expect((await client.sendStatement({ statement: statement(id, person) })).data).toEqual([id]);

      await pipeline.startWorkers(['ingest', 'recompute']);
      try {
        await expectSilver();
      } finally {
        await pipeline.stopWorkers();
      }
    }, 120_000);
  });

  async function expectSilver(): Promise<void> {
    const { db } = pipeline.database;
    const stored = await pollUntil(
      'P-1042 recomputed with all its events',
      async () => {
        const row = await db
          .selectFrom('scorecards')
          .select(['scorecard', 'as_of'])
          .where('partner_id', '=', 'P-1042')
          .executeTakeFirst();
        const sc = row?.scorecard as { effectiveTier?: string } | undefined;
        return sc?.effectiveTier === 'silver' ? row : undefined;
      },
      60_000,
      100,
    );

    // The reference: evaluate over the very events the connectors produced.
    const inbox = await db
      .selectFrom('inbox')
      .select(['payload'])
      .where('partner_id', '=', 'P-1042')
      .where('outcome', '=', 'accepted')
      .orderBy('received_seq')
      .execute();
    const reference = new BatchEvaluation(pipeline.program);
    for (const row of inbox) reference.addObject(row.payload);
    const expected = reference.evaluate('P-1042', dayOrThrow(String(stored?.as_of)))?.scorecard;
    expect(expected?.effectiveTier).toBe('silver');
    expect(stored?.scorecard).toEqual(expected);
    expect(expected?.metrics).toMatchObject({ revenue12m: '260208.00', salesCertified: '4' });

    const deals = await db
      .selectFrom('deals')
      .select(['amount', 'fx_rate', 'event_id'])
      .where('partner_id', '=', 'P-1042')
      .execute();
    expect(deals).toEqual([
      { amount: '240000.00', fx_rate: '1.0842', event_id: 'salesforce-0065g00000XyZ1aAAF-1795183391000' },
    ]);
    const invoices = await db
      .selectFrom('invoices')
      .select(['amount', 'event_id'])
      .where('partner_id', '=', 'P-1042')
      .execute();
    expect(invoices).toEqual([{ amount: '12500.00', event_id: 'stripe-in_1QInvoice' }]);
  }
});
