// Manual overrides as written in an overrides file (docs/program.md#policy): one per line,
// from..until inclusive, later lines winning where they overlap.
import { z } from 'zod';
import { dayOrThrow, parseDay } from './dates.ts';
import { issueLines } from './program/issues.ts';
import type { OverrideRule } from './evaluation/timeline.ts';

const day = z.string().refine((s) => parseDay(s) !== undefined, { message: 'expected a date YYYY-MM-DD' });

export const overrideSchema = z
  .object({
    partnerId: z.string().min(1),
    tier: z.string().min(1),
    from: day,
    until: day,
    reason: z.string().min(1),
    by: z.string().min(1),
  })
  .refine((o) => o.from <= o.until, { message: 'from must not be after until', path: ['until'] });

export type OverrideInput = z.infer<typeof overrideSchema>;

export type OverrideParse = { ok: true; partnerId: string; rule: OverrideRule } | { ok: false; reason: string };

export function parseOverride(raw: unknown): OverrideParse {
  const parsed = overrideSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: issueLines(parsed.error.issues).join('; ') };
  const o = parsed.data;
  return {
    ok: true,
    partnerId: o.partnerId,
    rule: { tier: o.tier, from: dayOrThrow(o.from), until: dayOrThrow(o.until), reason: o.reason, by: o.by },
  };
}
