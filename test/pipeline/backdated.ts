// Late events for the pipeline property tests (central, and its cluster-failover variant in
// test/cluster/central-failover.int.test.ts): new deals closed months ago and certifications
// earned long ago, for up to 60 partners of `events`, all arriving on `asOf`.
import type { GeneratedEvent } from '../../tools/generate/history.ts';

/** Late events: new deals closed months ago, certifications earned long ago. */
export function backdated(events: readonly GeneratedEvent[], rnd: () => number, asOf: string): GeneratedEvent[] {
  const partners = [...new Set(events.map((e) => e.partnerId))];
  return partners.slice(0, 60).flatMap((partnerId, i) => [
    {
      id: `late-deal-${i}`,
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: `${asOf}T10:00:00Z`,
      partnerId,
      data: {
        dealId: `LATE-${i}`,
        stage: 'closed_won',
        amount: `${Math.floor(rnd() * 900_000)}.${String(i % 100).padStart(2, '0')}`,
        currency: 'USD',
        customerId: `C-late-${i}`,
        closedAt: `2026-0${1 + (i % 9)}-15`,
        version: 1,
      },
    },
    {
      id: `late-cert-${i}`,
      source: 'lms',
      type: 'certification.earned',
      occurredAt: `${asOf}T10:00:00Z`,
      partnerId,
      data: {
        personId: `${partnerId}-late`,
        certificationId: i % 2 ? 'sales-expert' : 'tech-expert',
        earnedAt: '2025-12-01',
        expiresAt: '2027-12-01',
      },
    },
  ]);
}
