// The daily digest's wording and layout (email/digest.ts, renderDigest): sections in the fixed
// order whatever order they come in, each worded as its own email, the partner page link once,
// CRM text escaped in the HTML part, a header-safe subject.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadProgramTexts } from '../../domain/program/load.ts';
import type { Program } from '../../domain/program/schema.ts';
import { composeDigest } from '../../email/digest.ts';
import { composeNotification } from '../../email/content.ts';
import { renderDigest, renderEmail } from '../../email/templates.ts';
import { sample } from './support.ts';

const PROGRAM = 'examples/acme/program.json';
const loaded = loadProgramTexts([{ name: PROGRAM, text: readFileSync(PROGRAM, 'utf8') }]);
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const program = loaded.value.versions[loaded.value.versions.length - 1]?.program as Program;

const item = (id: string, name: string) => {
  const s = sample(name);
  return { id, kind: s.kind, payload: s.payload, program, unsubscribeUrl: `https://x.example/u/${s.kind}` };
};

const digest = (items: ReturnType<typeof item>[], partnerName = 'Northwind Systems GmbH') =>
  renderDigest(
    composeDigest({
      day: '2026-11-23',
      program,
      partnerName,
      recipientName: 'Dana Whitfield',
      items,
      pageUrl: 'https://tierline.example/p/TOKEN',
      unsubscribeUrl: 'https://x.example/u/all',
    }),
  );

describe('daily digest content', () => {
  it('orders sections demoted, promoted, at-risk, near-promotion whatever the input order', () => {
    const out = digest([
      item('4', 'tier.near-promotion'),
      item('3', 'tier.at-risk.dated'),
      item('2', 'tier.promoted'),
      item('1', 'tier.demoted'),
    ]);
    const at = ['== Tier change:', '== Promotion:', '== At risk:', '== Almost there:'].map((h) => out.text.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(out.subject).toMatch(/ \(and 3 more updates\)$/);
  });

  it('words each section as its own email and links the partner page once', () => {
    const out = digest([item('1', 'tier.promoted'), item('2', 'tier.near-promotion')]);
    const single = renderEmail(
      composeNotification({
        kind: 'tier.promoted',
        payload: sample('tier.promoted').payload,
        program,
        partnerName: 'Northwind Systems GmbH',
        recipientName: 'Dana Whitfield',
        unsubscribeUrl: 'https://x.example/u/tier.promoted',
      }),
    );
    expect(out.subject).toBe(`${single.subject} (and 1 more update)`);
    expect(out.text).toContain(
      'Congratulations! From 21 November 2026, Northwind Systems GmbH is a Silver partner in the Acme Partner Program.',
    );
    expect(out.text).toContain('You need $88,000 more trailing-12-month revenue to reach Gold.');
    expect(out.text.match(/https:\/\/tierline\.example\/p\/TOKEN/g)).toHaveLength(1);
    expect(out.html.match(/href="https:\/\/tierline\.example\/p\/TOKEN"/g)).toHaveLength(1);
    // Each section's own unsubscribe link, and the footer's for every kind.
    expect(out.text).toContain('Unsubscribe from promotion emails: https://x.example/u/tier.promoted');
    expect(out.text).toContain('https://x.example/u/all');
  });

  it('escapes CRM text in the HTML part and keeps the subject to one line', () => {
    const out = digest([item('1', 'tier.promoted')], '<b>Evil</b> & Co\r\nBcc: x@y');
    expect(out.html).not.toContain('<b>Evil</b>');
    expect(out.html).toContain('&lt;b&gt;Evil&lt;/b&gt; &amp; Co');
    expect(out.subject).not.toMatch(/[\r\n]/);
  });
});
