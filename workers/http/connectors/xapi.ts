// POST /xapi/statements (and PUT ?statementId=) (SPEC §13): the LMS sends xAPI 1.0.3 statements
// to Tierline as to a Learning Record Store — HTTP Basic, X-Experience-API-Version 1.0.x — and
// gets the statement ids back as an LRS answers. A statement without an id is given one
// derived from its content, so a resent statement gets the same id and applies once.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_EVENT_BYTES } from '../../../domain/events/parse.ts';
import { VERBS, convertStatement } from '../../../domain/connectors/xapi.ts';
import type { JsonValue } from '../../../db/types.ts';
import { recall, remember } from '../../../services/connectors/records.ts';
import { contextFor, deliver, notFound, sameSecret, unavailable, type ConnectorDeps } from './common.ts';

export const XAPI_VERSION = '1.0.3';
const STATEMENTS = 'xapi-statement';
const MAX_STATEMENTS = 1_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A UUID (v8 layout) from the statement's content: the same statement, the same id. */
function contentId(statement: Obj): string {
  const h = createHash('sha256').update(JSON.stringify(statement)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function authorized(request: FastifyRequest, key: string, secret: string): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always: no early exit on the user name.
  const user = sameSecret(decoded.slice(0, colon), key);
  const pass = sameSecret(decoded.slice(colon + 1), secret);
  return user && pass;
}

const bad = (reply: FastifyReply, status: number, message: string) =>
  reply.code(status).header('x-experience-api-version', XAPI_VERSION).send({ error: 'Bad Request', message });

/** The request's statements with their ids, or the status and reason it is refused with. */
function statementsOf(
  request: FastifyRequest,
  put: boolean,
): { ok: true; statements: Obj[] } | { ok: false; status: number; reason: string } {
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return { ok: false, status: 400, reason: 'body is not UTF-8 JSON' };
  }
  const list = Array.isArray(body) ? (body as unknown[]) : [body];
  if (put && Array.isArray(body)) return { ok: false, status: 400, reason: 'PUT takes one statement' };
  if (list.length === 0) return { ok: false, status: 400, reason: 'no statement' };
  if (list.length > MAX_STATEMENTS)
    return { ok: false, status: 413, reason: `${list.length} statements, over ${MAX_STATEMENTS} per request` };
  const statements: Obj[] = [];
  const putId = put ? (request.query as Obj).statementId : undefined;
  if (put && (typeof putId !== 'string' || !UUID.test(putId)))
    return { ok: false, status: 400, reason: 'statementId must be a UUID' };
  for (const [i, s] of list.entries()) {
    if (!isObj(s)) return { ok: false, status: 400, reason: `statement ${i + 1} is not an object` };
    if (Buffer.byteLength(JSON.stringify(s)) > MAX_EVENT_BYTES)
      return { ok: false, status: 413, reason: `statement ${i + 1} is over ${MAX_EVENT_BYTES} bytes` };
    if (s.id !== undefined && (typeof s.id !== 'string' || !UUID.test(s.id)))
      return { ok: false, status: 400, reason: `statement ${i + 1}: id must be a UUID` };
    if (put && s.id !== undefined && s.id !== putId)
      return { ok: false, status: 409, reason: 'the statement id differs from statementId' };
    if (!isObj(s.actor) || !isObj(s.verb) || !isObj(s.object))
      return { ok: false, status: 400, reason: `statement ${i + 1} needs actor, verb and object` };
    statements.push({ ...s, id: typeof s.id === 'string' ? s.id : typeof putId === 'string' ? putId : contentId(s) });
  }
  return { ok: true, statements };
}

export function registerXapi(app: FastifyInstance, deps: ConnectorDeps): void {
  const handle = (put: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { mapping, xapi } = deps.settings;
    if (!mapping?.xapi || !xapi) return notFound(reply);
    if (!authorized(request, xapi.key, xapi.secret)) {
      request.log.warn({ connector: 'xapi' }, 'refused: wrong or missing credentials');
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="Tierline xAPI"')
        .send({ error: 'Unauthorized', message: 'HTTP Basic credentials required' });
    }
    const version = request.headers['x-experience-api-version'];
    if (typeof version !== 'string' || !/^1\.0(\.\d+)?$/.test(version.trim()))
      return bad(reply, 400, 'X-Experience-API-Version 1.0.x required');
    const parsed = statementsOf(request, put);
    if (!parsed.ok) {
      request.log.warn({ connector: 'xapi', reason: parsed.reason }, 'refused statements');
      return bad(reply, parsed.status, parsed.reason);
    }
    const { statements } = parsed;
    try {
      const ctx = await contextFor(deps, mapping);
      const voided = statements.flatMap((s) =>
        isObj(s.verb) && s.verb.id === VERBS.voided && isObj(s.object) && typeof s.object.id === 'string'
          ? [s.object.id]
          : [],
      );
      const stored = await recall(deps.db, STATEMENTS, voided);
      const seen = new Map<string, unknown>(statements.map((s) => [String(s.id), s]));
      const outcomes = statements.map((s) => convertStatement(s, ctx, (id) => seen.get(id) ?? stored.get(id)));
      const earned = statements.filter(
        (_, i) => outcomes[i]?.kind === 'event' && outcomes[i].event.type === 'certification.earned',
      );
      await remember(
        deps.db,
        STATEMENTS,
        earned.map((s) => ({ id: String(s.id), state: s as JsonValue })),
      );
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      await deliver(deps, request, 'xapi', 'lms', raw, outcomes, (_o, i) => JSON.stringify(statements[i] ?? {}));
    } catch (error) {
      return unavailable(reply, request, error);
    }
    reply.header('x-experience-api-version', XAPI_VERSION);
    return put ? reply.code(204).send() : reply.code(200).send(statements.map((s) => s.id));
  };
  app.post('/xapi/statements', handle(false));
  app.put('/xapi/statements', handle(true));
}
