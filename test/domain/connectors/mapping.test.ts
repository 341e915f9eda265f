import { describe, expect, it } from 'vitest';
import { loadMapping, partnerFor } from '../../../domain/connectors/mapping.ts';
import { CTX } from './fixtures.ts';

describe('mapping file', () => {
  it('loads the SPEC §13 example', () => {
    expect(CTX.mapping.salesforce?.partnerField).toBe('PartnerAccountId');
    expect(partnerFor(CTX.mapping, '0015g00000PrT7kAAB')).toBe('P-1042');
    expect(partnerFor(CTX.mapping, 'unlisted')).toBe('unlisted');
  });

  it.each([
    [
      'salesforce:\n  organizationId: 123\n  partnerField: X\n',
      ['salesforce.organizationId: Invalid input: expected string, received number'],
    ],
    [
      'salesforce:\n  organizationId: 00D5g000004XyzQEAS\n',
      ['salesforce.partnerField: Invalid input: expected string, received undefined'],
    ],
    [
      'salesforce:\n  organizationId: 00X\n  partnerField: X\n',
      ['salesforce.organizationId: expected a Salesforce organization id (00D…)'],
    ],
    ['stripe:\n  partnerMetadataKey: k\n  extra: 1\n', ['stripe.extra: unknown field']],
    [
      'hubspot:\n  partnerProperty: p\n  closedLostStages: closedlost\n',
      ['hubspot.closedLostStages: Invalid input: expected array, received string'],
    ],
    [
      'xapi:\n  certifications:\n    not-an-iri: x\n  validForDays: 0\nsalesforce:\n  organizationId: 00D5g000004XyzQEAS\n  partnerField: P\n  defaultCurrency: EURO\n',
      [
        'salesforce.defaultCurrency: expected an ISO 4217 currency code such as "USD"',
        'xapi.certifications.not-an-iri: expected an IRI such as https://…',
        'xapi.validForDays: Too small: expected number to be >=1',
      ],
    ],
    ['colour: blue\n', ['colour: unknown field']],
    ['a: [', ['(root): not YAML']],
  ])('lists every problem by path: %j', (text, expected) => {
    const result = loadMapping(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const line of expected) expect(result.problems.some((p) => p.startsWith(line))).toBe(true);
    expect(result.problems).toHaveLength(expected.length);
  });

  it('an empty file is an empty mapping', () => {
    expect(loadMapping('')).toEqual({ ok: true, value: {} });
  });
});
