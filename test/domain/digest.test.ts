// Daily digests, the pure part (domain/digest.ts): which rows make which digest, in what
// order, under which key, and which items each recipient's digest carries.
import { describe, expect, it } from 'vitest';
import {
  DIGEST_KIND_ORDER,
  digestDayFor,
  digestKey,
  dueDigests,
  itemsFor,
  orderDigestItems,
  type DigestCandidate,
} from '../../domain/digest.ts';

const row = (id: string, partnerId: string, day: string, kind: string, settled = true): DigestCandidate => ({
  id,
  partnerId,
  day,
  kind,
  settled,
});

describe('digest order', () => {
  it('is demoted, promoted, at-risk, near-promotion; review-pending is never in a digest', () => {
    expect(DIGEST_KIND_ORDER).toEqual(['tier.demoted', 'tier.promoted', 'tier.at-risk', 'tier.near-promotion']);
  });

  it.each([
    {
      name: 'kinds in the fixed order, whatever order they were written in',
      items: [
        { id: '1', kind: 'tier.near-promotion' },
        { id: '2', kind: 'tier.at-risk' },
        { id: '3', kind: 'tier.promoted' },
        { id: '4', kind: 'tier.demoted' },
      ],
      want: ['4', '3', '2', '1'],
    },
    {
      name: 'two of a kind: as written (outbox id, numerically)',
      items: [
        { id: '10', kind: 'tier.at-risk' },
        { id: '9', kind: 'tier.at-risk' },
        { id: '11', kind: 'tier.promoted' },
      ],
      want: ['11', '9', '10'],
    },
    { name: 'one item', items: [{ id: '7', kind: 'tier.at-risk' }], want: ['7'] },
  ])('$name', ({ items, want }) => {
    expect(orderDigestItems(items).map((i) => i.id)).toEqual(want);
  });
});

describe('which rows make which digest', () => {
  it.each([
    {
      name: 'a partner’s rows of an ended day, all settled: one digest in the fixed order',
      rows: [
        row('1', 'P-1', '2026-11-23', 'tier.near-promotion'),
        row('2', 'P-1', '2026-11-23', 'tier.promoted'),
        row('3', 'P-1', '2026-11-23', 'tier.at-risk'),
      ],
      today: '2026-11-24',
      want: [{ partnerId: 'P-1', day: '2026-11-23', ids: ['2', '3', '1'] }],
    },
    {
      name: 'today’s rows wait for the day to end',
      rows: [row('1', 'P-1', '2026-11-24', 'tier.promoted')],
      today: '2026-11-24',
      want: [],
    },
    {
      name: 'a day with one row not yet settled waits whole (the digest holds the whole day)',
      rows: [row('1', 'P-1', '2026-11-23', 'tier.promoted'), row('2', 'P-1', '2026-11-23', 'tier.at-risk', false)],
      today: '2026-11-24',
      want: [],
    },
    {
      name: 'partners and days apart, by day then partner; an unsettled partner does not hold up another',
      rows: [
        row('1', 'P-2', '2026-11-23', 'tier.promoted'),
        row('2', 'P-1', '2026-11-23', 'tier.demoted'),
        row('3', 'P-1', '2026-11-22', 'tier.at-risk'),
        row('4', 'P-3', '2026-11-23', 'tier.promoted', false),
        row('5', 'P-1', '2026-11-23', 'tier.near-promotion'),
      ],
      today: '2026-11-24',
      want: [
        { partnerId: 'P-1', day: '2026-11-22', ids: ['3'] },
        { partnerId: 'P-1', day: '2026-11-23', ids: ['2', '5'] },
        { partnerId: 'P-2', day: '2026-11-23', ids: ['1'] },
      ],
    },
    { name: 'nothing pending: no digest', rows: [], today: '2026-11-24', want: [] },
  ])('$name', ({ rows, today, want }) => {
    expect(dueDigests(rows, today)).toEqual(want);
  });
});

describe('keys and days', () => {
  it.each([
    { partner: 'P-1', day: '2026-11-23', earlier: 0, want: 'P-1|2026-11-23' },
    { partner: 'P-1', day: '2026-11-23', earlier: 1, want: 'P-1|2026-11-23|2' },
    { partner: 'P-1', day: '2026-11-23', earlier: 2, want: 'P-1|2026-11-23|3' },
  ])('digestKey($partner, $day, $earlier) = $want', ({ partner, day, earlier, want }) => {
    expect(digestKey(partner, day, earlier)).toBe(want);
  });

  it.each([
    { kind: 'tier.promoted', send: true, want: '2026-11-23' },
    { kind: 'tier.near-promotion', send: true, want: '2026-11-23' },
    { kind: 'tier.at-risk', send: false, want: null },
    { kind: 'tier.review-pending', send: true, want: null },
  ])('a $kind row (send $send) is stamped $want', ({ kind, send, want }) => {
    expect(digestDayFor(kind, send, '2026-11-23')).toBe(want);
  });
});

describe('what each recipient’s digest carries', () => {
  const items = [
    { id: '1', kind: 'tier.promoted' },
    { id: '2', kind: 'tier.at-risk' },
  ];
  it.each([
    { name: 'no opt-out: everything', out: [], want: ['1', '2'] },
    { name: 'opted out of at-risk: the promotion only', out: ['tier.at-risk'], want: ['1'] },
    { name: 'opted out of every kind in it: nothing (no email)', out: ['tier.at-risk', 'tier.promoted'], want: [] },
    { name: "opted out of everything ('*'): nothing", out: ['*'], want: [] },
  ])('$name', ({ out, want }) => {
    expect(itemsFor(items, new Set(out)).map((i) => i.id)).toEqual(want);
  });
});
