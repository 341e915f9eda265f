// `tierline evaluate` on bad input: one clear message per problem, exit code 1, never a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tierline-cli-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

function evaluate(...args: string[]) {
  const run = spawnSync(process.execPath, ['bin/tierline.js', 'evaluate', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const noStack = (text: string): void => {
  expect(text).not.toMatch(/\n\s+at /);
};

describe('evaluate on bad input', () => {
  it('a malformed program lists every problem by path and exits 1', () => {
    const program = file(
      'bad-program.json',
      JSON.stringify({
        id: 'x',
        version: '1',
        name: 'X',
        currency: 'USD',
        timezone: 'UTC',
        effectiveFrom: '2025-01-01',
        metrics: {},
        tracks: [
          {
            id: 't',
            partnerTypes: ['reseller'],
            tiers: [{ id: 'a', name: 'A', criteria: { metric: 'nope', atLeast: 5 } }],
          },
        ],
      }),
    );
    const events = file('ok.jsonl', '');
    const run = evaluate('--program', program, '--events', events, '--as-of', '2026-11-23');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('tracks[0].tiers[0].criteria.atLeast');
    expect(run.stderr).toContain('tracks[0].tiers[0].criteria.metric: unknown metric "nope"');
    noStack(run.stderr);
  });

  it('a program file that is not JSON or YAML, or missing, is one line and exit 1', () => {
    for (const program of [file('garbage.json', '{"id": [unclosed'), join(dir, 'missing.json')]) {
      const run = evaluate('--program', program, '--events', file('e.jsonl', ''), '--as-of', '2026-11-23');
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      noStack(run.stderr);
    }
  });

  it('a malformed events file reports each bad line with its reason, still prints the valid partners, exits 1', () => {
    const good = JSON.stringify({
      id: 'p1',
      source: 'crm',
      type: 'partner.upserted',
      occurredAt: '2026-01-01T00:00:00Z',
      partnerId: 'P-1',
      data: { name: 'A', partnerType: 'reseller', contacts: [], version: 1 },
    });
    const events = file('bad-events.jsonl', `${good}\nnot json at all\n{"id":"x"}\n`);
    const run = evaluate('--program', 'examples/acme/program.json', '--events', events, '--as-of', '2026-11-23');
    expect(run.status).toBe(1);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { partnerId: string }).partnerId),
    ).toEqual(['P-1']);
    expect(run.stderr).toContain(':2: invalid event: not JSON');
    expect(run.stderr).toContain(':3: invalid event:');
    noStack(run.stderr);
  });

  it('a missing events file and a bad --as-of are one line each, exit 1', () => {
    const missing = evaluate(
      '--program',
      'examples/acme/program.json',
      '--events',
      join(dir, 'nope.jsonl'),
      '--as-of',
      '2026-11-23',
    );
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read events file .*ENOENT/);
    const badDay = evaluate(
      '--program',
      'examples/acme/program.json',
      '--events',
      file('e2.jsonl', ''),
      '--as-of',
      '2026-02-30',
    );
    expect(badDay.status).toBe(1);
    expect(badDay.stderr).toContain('--as-of');
    noStack(missing.stderr + badDay.stderr);
  });
});

describe('evaluate --reviews on bad input', () => {
  const args = [
    '--program',
    'examples/review-style/program.json',
    '--events',
    'examples/review-style/events.jsonl',
    '--as-of',
    '2026-11-23',
  ];

  it('a malformed line is one line FILE:N: reason, nothing printed, exit 1', () => {
    const reviews = file(
      'bad-reviews.jsonl',
      [
        JSON.stringify({ partnerId: 'R-1', fromTier: 'silver', decision: 'approve', on: '2026-11-20', by: 'a' }),
        '',
        JSON.stringify({ partnerId: 'R-1', fromTier: 'silver', decision: 'maybe', on: '2026-11-20', by: 'a' }),
      ].join('\n'),
    );
    const run = evaluate(...args, '--reviews', reviews);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim().startsWith(`tierline: ${reviews}:3: decision: `), run.stderr).toBe(true);
    noStack(run.stderr);
  });

  it('each bad line on its own line: not JSON, a rejection without a reason, a bad date', () => {
    const reviews = file(
      'worse-reviews.jsonl',
      [
        '{"partnerId": ',
        JSON.stringify({ partnerId: 'R-1', fromTier: 'silver', decision: 'reject', on: '2026-11-20', by: 'a' }),
        JSON.stringify({ partnerId: 'R-1', fromTier: 'silver', decision: 'approve', on: '20-11-2026', by: 'a' }),
      ].join('\n'),
    );
    const run = evaluate(...args, '--reviews', reviews);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      `tierline: ${reviews}:1: not JSON`,
      `${reviews}:2: reason: a reject decision needs a reason`,
      `${reviews}:3: on: expected a date YYYY-MM-DD`,
    ]);
  });

  it('a missing reviews file is one line naming it, exit 1', () => {
    const run = evaluate(...args, '--reviews', join(dir, 'nope.jsonl'));
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^tierline: cannot read review decisions file .*nope\.jsonl: /);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
