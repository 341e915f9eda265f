// Issue 18, hostile input against the pages (no browser: fastify's inject): forged cookies and
// tokens, SQL-ish searches, huge or foreign page cursors, markup in reasons, CSV formulas,
// forms without their CSRF token. Nothing crashes (no 5xx), nothing leaks, nothing is stored.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSession } from '../../workers/http/pages/console-auth.ts';
import { sessionValue } from '../../workers/http/dashboard.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { ADMIN_TOKEN, HOSTILE_ID, HOSTILE_NAME, P, seed, startServer, token } from './support.ts';

const SLOW = 120_000;
const BEARER = { authorization: `Bearer ${ADMIN_TOKEN}` };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describeWithPostgres('web pages under hostile input (issue 18)', () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;

  beforeAll(async () => {
    pipeline = await createPipeline();
    await seed(pipeline);
    ({ app } = await startServer(pipeline));
  }, SLOW);
  afterAll(async () => {
    await app?.close();
    await pipeline?.stop();
  }, SLOW);

  const get = (url: string, headers: Record<string, string> = BEARER) => app.inject({ method: 'GET', url, headers });
  const overrides = () => pipeline.database.db.selectFrom('overrides').selectAll().execute();

  describe('sign-in', () => {
    it.each([
      ['no credential', {}],
      ['a made-up cookie', { cookie: 'tierline_console=forged' }],
      ['the token itself as the cookie', { cookie: `tierline_console=${ADMIN_TOKEN}` }],
      ['the queue dashboard cookie value', { cookie: `tierline_console=${sessionValue(ADMIN_TOKEN)}` }],
      ['a session for another token', { cookie: `tierline_console=${consoleSession('another-token')}` }],
      ['a wrong bearer', { authorization: 'Bearer wrong' }],
      [
        'a bearer with a valid cookie beside it',
        { authorization: 'Bearer wrong', cookie: `tierline_console=${consoleSession(ADMIN_TOKEN)}` },
      ],
    ])('%s shows no data', async (_what, headers: Record<string, string>) => {
      for (const url of [
        '/console',
        '/console/partners',
        `/console/partners/${P}`,
        '/console/partners.csv',
        '/console/dead-letters',
      ]) {
        const res = await get(url, headers);
        expect([303, 401], url).toContain(res.statusCode);
        if (res.statusCode === 303) expect(res.headers.location).toBe('/console/login');
        expect(res.body).not.toContain('Northwind');
      }
      const post = await app.inject({
        method: 'POST',
        url: '/console/overrides',
        headers: { ...headers, ...FORM },
        payload: `partnerId=${P}&tier=gold&until=2026-12-31&reason=x&by=y`,
      });
      expect(post.statusCode).toBe(401);
      expect(await overrides()).toEqual([]);
    });

    it('the session cookie and a bearer token both open the console', async () => {
      expect((await get('/console/partners')).body).toContain('Northwind');
      const res = await get('/console/partners', { cookie: `tierline_console=${consoleSession(ADMIN_TOKEN)}` });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Northwind');
    });

    it('a form signed in by cookie without its CSRF token is refused and stores nothing', async () => {
      const cookie = `tierline_console=${consoleSession(ADMIN_TOKEN)}`;
      for (const payload of [
        `partnerId=${P}&tier=gold&until=2026-12-31&reason=x&by=y`,
        `_csrf=forged&partnerId=${P}&tier=gold&until=2026-12-31&reason=x&by=y`,
      ]) {
        const res = await app.inject({
          method: 'POST',
          url: '/console/overrides',
          headers: { cookie, ...FORM },
          payload,
        });
        expect(res.statusCode).toBe(403);
      }
      const login = await app.inject({
        method: 'POST',
        url: '/console/login',
        headers: FORM,
        payload: `token=${ADMIN_TOKEN}`,
      });
      expect(login.statusCode).toBe(403);
      expect(await overrides()).toEqual([]);
    });
  });

  describe('lists', () => {
    it.each([
      `'; drop table partners; --`,
      `' or '1'='1`,
      '%',
      '_',
      '\\',
      '%%%_\\%',
      '\u0000',
      'Ω≈ç√∫ 🚀',
      'x'.repeat(10_000),
    ])('search %j matches only literally', async (q) => {
      const res = await get(`/console/partners?q=${encodeURIComponent(q)}`);
      // NUL cannot be stored or searched in Postgres text: refused as a bad request.
      expect(res.statusCode).toBe(q.includes('\u0000') ? 400 : 200);
      expect(res.body).not.toContain('Northwind');
    });

    it('the partners table survives and a plain search still finds its partner', async () => {
      expect((await get('/console/partners?q=northwind')).body).toContain('Northwind');
    });

    it.each([
      '/console/partners?page=99999999999999999999999',
      '/console/partners?after=99999999999999999999999',
      `/console/partners?after=${Buffer.from(JSON.stringify(['zzzz', 'zzzz'])).toString('base64url')}`,
      `/console/partners?after=${Buffer.from('{"__proto__":1}').toString('base64url')}&sort=name`,
      '/console/partners?after=%FF%FE&sort=%00',
      '/console/partners?status=grace&risk=1&tier=%3Cscript%3E',
      '/console/partners?q=a&q=b&tier[]=x',
      '/console/dead-letters?before=99999999999999999999999999',
      '/console/dead-letters?before=-1&all=1',
      '/console/dead-letters/99999999999999999999999999',
      '/console/dead-letters/1%27%20or%201%3D1',
      `/console/partners/${encodeURIComponent('../../etc/passwd')}`,
      `/console/partners/${'x'.repeat(3000)}`,
      '/console/partners/%00',
      '/console/partners?tier=%00',
    ])('%s answers without a server error', async (url) => {
      const res = await get(url);
      expect(res.statusCode, res.body.slice(0, 200)).toBeLessThan(500);
      expect(res.body).not.toMatch(/at \w+ \(.*\.ts:\d+/); // no stack trace
    });
  });

  it.each([
    '?deals=garbage',
    '?deals=%FF',
    `?deals=${Buffer.from('["9999-99-99","x"]').toString('base64url')}`,
    `?deals=${'A'.repeat(5000)}`,
  ])('the partner page with a foreign deals cursor %s still answers', async (query) => {
    const res = await app.inject({ url: `/p/${token(P)}${query}` });
    expect(res.statusCode).toBe(200);
  });

  describe('escaping', () => {
    it('markup in names, ids and reasons is escaped in the console', async () => {
      const set = await app.inject({
        method: 'POST',
        url: '/console/overrides',
        headers: { ...BEARER, ...FORM },
        payload: new URLSearchParams({
          partnerId: HOSTILE_ID,
          tier: 'gold',
          until: '2026-12-31',
          reason: '<script>alert(1)</script>',
          by: '<img src=x onerror=alert(2)>',
        }).toString(),
      });
      expect(set.statusCode).toBe(200);
      for (const res of [
        set,
        await get(`/console/partners/${encodeURIComponent(HOSTILE_ID)}`),
        await get('/console/overrides'),
        await get('/console/partners'),
      ]) {
        expect(res.body).not.toContain('<script>alert');
        expect(res.body).not.toContain('<img src=x');
        expect(res.body).not.toContain('<b>x</b>');
      }
      expect(set.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      const stored = await overrides();
      expect(stored.map((o) => [o.partner_id, o.reason, o.created_by])).toEqual([
        [HOSTILE_ID, '<script>alert(1)</script>', '<img src=x onerror=alert(2)> (console)'],
      ]);
    });

    it('an unknown tier or a bad date is refused with the service message and stores nothing new', async () => {
      const before = (await overrides()).length;
      for (const payload of [
        { partnerId: P, tier: 'platinum', until: '2026-12-31', reason: 'r', by: 'b' } as Record<string, string>,
        { partnerId: P, tier: 'gold', until: '2026-13-45', reason: 'r', by: 'b' },
        { partnerId: P, tier: 'gold', until: '2026-12-31', reason: 'r' },
        { partnerId: '', tier: 'gold', until: '2026-12-31', reason: 'r', by: 'b' },
      ]) {
        const res = await app.inject({
          method: 'POST',
          url: '/console/overrides',
          headers: { ...BEARER, ...FORM },
          payload: new URLSearchParams(payload).toString(),
        });
        expect(res.statusCode, JSON.stringify(payload)).toBe(400);
        expect(res.body).toContain('class="error"');
      }
      expect((await overrides()).length).toBe(before);
    });

    it('CSV cells cannot start a spreadsheet formula and quotes are doubled', async () => {
      await pipeline.database.db
        .updateTable('partners')
        .set({ name: '=HYPERLINK("http://evil")' })
        .where('partner_id', '=', P)
        .execute();
      const res = await get('/console/partners.csv');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/csv');
      expect(res.body).toContain(`"'=HYPERLINK(""http://evil"")"`);
      expect(res.body).toContain(`"${HOSTILE_NAME.replaceAll('"', '""')}"`);
    });

    it('a form with a NUL character is a bad request', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/console/overrides',
        headers: { ...BEARER, ...FORM },
        payload: `partnerId=P%00&tier=gold&until=2026-12-31&reason=r&by=b`,
      });
      expect(res.statusCode).toBe(400);
    });

    it('dead-letter replay refuses ids that are not ids', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/console/dead-letters/replay',
        headers: { ...BEARER, ...FORM },
        payload: 'id=1%3Bdrop%20table%20x&by=me',
      });
      expect(res.statusCode).toBe(400);
    });
  });
});
