// The connectors' mapping file (SPEC §13, docs/connectors.md): how each source system's records
// name partners, stages, currencies and certifications. One zod schema; every problem is
// reported as "path: message", like a program file.
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { errorMessage } from '../../lib/errors.ts';
import { currencyDigits } from '../money.ts';
import { issueLines } from '../program/issues.ts';

const name = z.string().min(1).max(1000);
const currency = z
  .string()
  .refine((c) => currencyDigits(c) !== undefined, { message: 'expected an ISO 4217 currency code such as "USD"' });
// Salesforce ids are 15 or 18 characters; an organization id starts with 00D.
const organizationId = z
  .string()
  .regex(/^00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$/, { message: 'expected a Salesforce organization id (00D…)' });
const IRI = /^[a-z][a-z0-9+.-]*:\S+$/i;
const iri = z.string().regex(IRI, { message: 'expected an IRI such as https://…' });
// Keys checked one by one, so a bad activity id is reported at its own path.
const activityMap = z.record(z.string(), name).superRefine((map, ctx) => {
  for (const key of Object.keys(map))
    if (!IRI.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'expected an IRI such as https://…' });
});

export const mappingSchema = z.strictObject({
  partners: z.record(name, name).optional().describe("a source's account id → Tierline partnerId"),
  salesforce: z
    .strictObject({
      organizationId,
      partnerField: name,
      registeredAtField: name.optional(),
      defaultCurrency: currency.optional(),
    })
    .optional(),
  hubspot: z
    .strictObject({
      partnerProperty: name,
      closedLostStages: z.array(name).default([]),
    })
    .optional(),
  stripe: z.strictObject({ partnerMetadataKey: name }).optional(),
  xapi: z
    .strictObject({
      certifications: activityMap,
      expiresAtExtension: iri.nullable().optional(),
      validForDays: z.int().min(1).max(36_500).optional(),
    })
    .optional(),
});

export type Mapping = z.output<typeof mappingSchema>;

export type MappingResult = { ok: true; value: Mapping } | { ok: false; problems: string[] };

/** Validates mapping text (YAML, so JSON too): the mapping, or every problem by path. */
export function loadMapping(text: string): MappingResult {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true }) as unknown;
  } catch (error) {
    return { ok: false, problems: [`(root): not YAML (${errorMessage(error).split('\n')[0]})`] };
  }
  const parsed = mappingSchema.safeParse(doc ?? {});
  if (!parsed.success) return { ok: false, problems: issueLines(parsed.error.issues) };
  return { ok: true, value: parsed.data };
}

/** A source's account id through `partners`; ids not listed pass through. */
export function partnerFor(mapping: Mapping, accountId: string): string {
  return mapping.partners?.[accountId] ?? accountId;
}
