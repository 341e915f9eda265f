import { describe, expect, it } from 'vitest';
import { convertStatement, VERBS } from '../../../domain/connectors/xapi.ts';
import { CTX } from './fixtures.ts';

const CERT = 'https://academy.example/certifications/cloud-architect-pro';

export const passedStatement = (over: Record<string, unknown> = {}) => ({
  id: '6690e6c9-3ef0-4ed3-8b37-7f3964730bee',
  actor: { objectType: 'Agent', account: { homePage: 'https://academy.example', name: 'person-77' } },
  verb: { id: VERBS.passed, display: { 'en-US': 'passed' } },
  object: { objectType: 'Activity', id: CERT },
  result: { success: true, score: { scaled: 0.92 } },
  context: { team: { objectType: 'Group', account: { homePage: 'https://crm.example', name: '0015g00000PrT7kAAB' } } },
  timestamp: '2026-11-20T16:00:00.000Z',
  ...over,
});

const none = () => undefined;

describe('xapi', () => {
  it('passed → certification.earned, expiring validForDays (730) later', () => {
    expect(convertStatement(passedStatement(), CTX, none)).toEqual({
      kind: 'event',
      ref: 'statement 6690e6c9-3ef0-4ed3-8b37-7f3964730bee',
      event: {
        id: 'xapi-6690e6c9-3ef0-4ed3-8b37-7f3964730bee',
        source: 'lms',
        type: 'certification.earned',
        occurredAt: '2026-11-20T16:00:00.000Z',
        partnerId: 'P-1042',
        data: {
          personId: 'person-77',
          certificationId: 'cloud-architect-pro',
          earnedAt: '2026-11-20',
          expiresAt: '2028-11-19',
        },
      },
    });
  });

  it.each([
    [{ verb: { id: VERBS.completed }, result: {} }, { kind: 'event' }],
    [
      { verb: { id: VERBS.completed }, result: { success: false } },
      { kind: 'skipped', reason: 'result.success is false' },
    ],
    [{ verb: { id: 'http://adlnet.gov/expapi/verbs/failed' } }, { kind: 'skipped' }],
    [{ object: { id: 'https://academy.example/other' } }, { kind: 'skipped' }],
    [
      {
        object: { id: 'https://academy.example/exam/42' },
        context: {
          team: { account: { homePage: 'h', name: 'P-9' } },
          contextActivities: { parent: [{ id: CERT }] },
        },
      },
      { kind: 'event', event: { partnerId: 'P-9', data: { certificationId: 'cloud-architect-pro' } } },
    ],
    [{ context: {} }, { kind: 'skipped', reason: 'no context.team.account.name (no partner)' }],
    [
      { actor: { mbox: 'mailto:ana@partner.example' } },
      { kind: 'event', event: { data: { personId: 'ana@partner.example' } } },
    ],
    [{ actor: { name: 'anonymous' } }, { kind: 'problem' }],
    [{ timestamp: undefined }, { kind: 'problem', reason: 'no timestamp' }],
    [{ timestamp: '2026-11-21T02:00:00+00:00' }, { event: { data: { earnedAt: '2026-11-20' } } }],
  ])('%#', (over, expected) => {
    expect(convertStatement(passedStatement(over), CTX, none)).toMatchObject(expected);
  });

  it('expiresAt from the mapping’s extension', () => {
    const ext = 'https://academy.example/xapi/extensions/expires';
    const ctx = { ...CTX, mapping: { ...CTX.mapping, xapi: { ...CTX.mapping.xapi!, expiresAtExtension: ext } } };
    const statement = passedStatement({ result: { success: true, extensions: { [ext]: '2027-06-30' } } });
    expect(convertStatement(statement, ctx, none)).toMatchObject({ event: { data: { expiresAt: '2027-06-30' } } });
    expect(convertStatement(passedStatement({ result: { extensions: { [ext]: 7 } } }), ctx, none)).toMatchObject({
      kind: 'problem',
    });
  });

  it('voided → certification.revoked on the voiding statement’s day', () => {
    const original = passedStatement();
    const voiding = {
      id: 'b1e5c1c0-0000-4000-8000-000000000001',
      actor: { mbox: 'mailto:admin@academy.example' },
      verb: { id: VERBS.voided },
      object: { objectType: 'StatementRef', id: original.id },
      timestamp: '2026-12-01T12:00:00Z',
    };
    const lookup = (id: string) => (id === original.id ? original : undefined);
    expect(convertStatement(voiding, CTX, lookup)).toEqual({
      kind: 'event',
      ref: 'statement b1e5c1c0-0000-4000-8000-000000000001',
      event: {
        id: 'xapi-b1e5c1c0-0000-4000-8000-000000000001',
        source: 'lms',
        type: 'certification.revoked',
        occurredAt: '2026-12-01T12:00:00Z',
        partnerId: 'P-1042',
        data: { personId: 'person-77', certificationId: 'cloud-architect-pro', revokedAt: '2026-12-01' },
      },
    });
    expect(convertStatement(voiding, CTX, none)).toMatchObject({ kind: 'skipped' });
    expect(convertStatement({ ...voiding, object: { id: 'x' } }, CTX, lookup)).toMatchObject({ kind: 'problem' });
  });
});
