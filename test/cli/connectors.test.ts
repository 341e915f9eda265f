// `tierline connectors convert` against the fixtures: events on stdout, problems as FILE:N.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConvert } from '../../scripts/commands/connectors.ts';

const dir = mkdtempSync(join(tmpdir(), 'tierline-connectors-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const MAPPING = 'test/fixtures/connectors/mapping.yaml';
const PROGRAM = 'examples/acme/program.json';

async function convert(kind: string, path: string, fx?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const summary = await runConvert(
    kind,
    path,
    { program: [PROGRAM], mapping: MAPPING, ...(fx ? { fx } : {}) },
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { summary, events: out.map((l) => JSON.parse(l) as { id: string; data: Record<string, unknown> }), err };
}

describe('tierline connectors convert', () => {
  const xml = 'test/fixtures/connectors/outbound-message.xml';

  it('without a rate, the EUR opportunity is a problem at its Notification’s line; the records after it convert', async () => {
    const { summary, events, err } = await convert('salesforce-outbound', xml);
    expect(summary).toEqual({ events: 1, skipped: 1, problems: 1 });
    expect(events[0]?.id).toBe('salesforce-0065g00000XyZ2aAAF-1795251600000');
    expect(err[0]).toBe(`${xml}:10: Notification 04l5g00000AbCdEAAV: no FX rate for EUR on or before 2026-11-20`);
  });

  it('with --fx the rate of the latest day on or before closedAt', async () => {
    const rates = file(
      'rates.csv',
      'date,currency,rate\n2026-11-18,EUR,1.07\n2026-11-19,EUR,1.0842\n2026-11-23,EUR,2\n',
    );
    const { summary, events } = await convert('salesforce-outbound', xml, rates);
    expect(summary.problems).toBe(0);
    expect(events[0]?.data.fxRate).toBe('1.0842');
  });

  it('JSON Lines: a line that is not JSON is a problem at its line', async () => {
    const path = file('statements.jsonl', '{"id":"s1","verb":{"id":"x"}}\nnot json\n');
    const { summary, err } = await convert('xapi', path);
    expect(summary).toEqual({ events: 0, skipped: 1, problems: 1 });
    expect(err[0]).toMatch(new RegExp(`^${path}:2: 2: not JSON`));
  });

  it('an unknown kind is refused', async () => {
    await expect(convert('sap', xml)).rejects.toThrow(/unknown kind "sap"/);
  });
});
