// `npm run docs:reference [-- --check]`: writes the field tables of docs/program.md and
// docs/events.md from the zod schemas (domain/program/schema.ts, domain/events/schema.ts):
// field names, required or optional, types, enums, defaults and the schemas' `.describe()`
// texts, each table between <!-- reference:NAME:start --> and <!-- reference:NAME:end -->.
// The prose around the tables is written by hand. --check only reports (exit 1 when a doc is
// out of date); test/docs/reference.test.ts does the same in `npm test`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { dataSchemas, envelopeSchema, TYPES_BY_SOURCE, type EventType } from '../domain/events/schema.ts';
import {
  alertsSchema,
  benefitsSchema,
  certificationSchema,
  criterionForms,
  criterionSchema,
  demotionReviewSchema,
  metricSchema,
  policySchema,
  programSchema,
  scorePartSchema,
  scoreSchema,
  tierSchema,
  trackSchema,
  windowSchema,
} from '../domain/program/schema.ts';

type Schema = z.core.$ZodType;
type Def = { type: string } & Record<string, unknown>;

const defOf = (schema: Schema): Def => schema._zod.def as unknown as Def;
const metaOf = (schema: Schema): { title?: string; description?: string } =>
  (z.globalRegistry.get(schema) ?? {}) as { title?: string; description?: string };

/** Objects that have their own table: a field of that type links to it instead of spelling it out. */
const TABLES = new Map<Schema, { title: string; anchor: string }>([
  [metricSchema, { title: 'metric', anchor: 'metrics' }],
  [windowSchema, { title: 'window', anchor: 'windows' }],
  [criterionSchema, { title: 'criterion', anchor: 'criteria' }],
  [trackSchema, { title: 'track', anchor: 'tracks' }],
  [tierSchema, { title: 'tier', anchor: 'tiers' }],
  [benefitsSchema, { title: 'benefits', anchor: 'benefits' }],
  [policySchema, { title: 'policy', anchor: 'policy' }],
  [demotionReviewSchema, { title: 'demotion review', anchor: 'demotion-review' }],
  [alertsSchema, { title: 'alerts', anchor: 'alerts' }],
  [certificationSchema, { title: 'certification', anchor: 'certifications' }],
  [scoreSchema, { title: 'score', anchor: 'score' }],
  [scorePartSchema, { title: 'score part', anchor: 'score' }],
]);

/** The wrapper layers (optional, default, nullable, preprocess) peeled off, outermost first. */
interface Peeled {
  core: Schema;
  optional: boolean;
  nullable: boolean;
  defaultValue?: unknown;
  description?: string;
  title?: string;
}

function peel(schema: Schema): Peeled {
  const out: Peeled = { core: schema, optional: false, nullable: false };
  let current: Schema | undefined = schema;
  while (current) {
    const meta = metaOf(current);
    out.description ??= meta.description;
    out.title ??= meta.title;
    out.core = current;
    if (TABLES.has(current)) break;
    const def = defOf(current);
    if (def.type === 'optional') {
      out.optional = true;
      current = def.innerType as Schema;
    } else if (def.type === 'default') {
      out.optional = true;
      out.defaultValue = def.defaultValue;
      current = def.innerType as Schema;
    } else if (def.type === 'nullable') {
      out.nullable = true;
      current = def.innerType as Schema;
    } else if (def.type === 'lazy') {
      current = (def.getter as () => Schema)();
    } else if (def.type === 'pipe' && defOf(def.in as Schema).type === 'transform') {
      current = def.out as Schema; // z.preprocess: the schema after it decides
    } else break;
  }
  return out;
}

const code = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

function typeText(schema: Schema, title?: string): string {
  const table = TABLES.get(schema);
  if (table) return `[${table.title}](#${table.anchor})`;
  if (title) return title;
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return 'text';
    case 'boolean':
      return 'boolean';
    case 'number': {
      const n = schema as unknown as z.ZodNumber;
      const range = n.minValue !== null && n.maxValue !== null ? ` ${n.minValue}–${n.maxValue}` : '';
      return `${n.isInt ? 'integer' : 'number'}${range}`;
    }
    case 'enum':
      return (schema as unknown as z.ZodEnum).options.map(code).join(' \\| ');
    case 'literal':
      return (def.values as unknown[]).map(code).join(' \\| ');
    case 'array': {
      const element = peel(def.element as Schema);
      return `list of ${typeText(element.core, element.title)}`;
    }
    case 'record': {
      const value = peel(def.valueType as Schema);
      return `map of name → ${typeText(value.core, value.title)}`;
    }
    case 'union':
      return (def.options as Schema[]).map((o) => typeText(peel(o).core, peel(o).title)).join(' or ');
    case 'lazy':
      return typeText((def.getter as () => Schema)());
    case 'pipe':
      return typeText(def.in as Schema);
    default:
      return def.type;
  }
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');

function fieldRows(shape: Record<string, Schema>): string[] {
  const rows = ['| field | required | type | default | what |', '|---|---|---|---|---|'];
  for (const [name, schema] of Object.entries(shape)) {
    const p = peel(schema);
    const type = typeText(p.core, p.title) + (p.nullable ? ' or `null`' : '');
    const fallback = p.defaultValue === undefined ? '' : code(p.defaultValue);
    const required = p.optional ? 'no' : 'yes';
    rows.push(`| \`${name}\` | ${required} | ${type} | ${fallback} | ${cell(p.description ?? '')} |`);
  }
  return rows;
}

const shapeOf = (schema: Schema): Record<string, Schema> =>
  (schema as unknown as { shape: Record<string, Schema> }).shape;

function windowRows(): string[] {
  const rows = ['| form | meaning |', '|---|---|'];
  for (const option of defOf(windowSchema).options as Schema[]) {
    if (defOf(option).type === 'literal') {
      rows.push(`| ${typeText(option)} | ${cell(metaOf(option).description ?? '')} |`);
      continue;
    }
    for (const [key, value] of Object.entries(shapeOf(option))) {
      const p = peel(value);
      rows.push(`| \`{ "${key}": … }\` (${typeText(p.core, p.title)}) | ${cell(p.description ?? '')} |`);
    }
  }
  return rows;
}

function criterionRows(): string[] {
  const rows = ['| kind | fields | what |', '|---|---|---|'];
  for (const [kind, schema] of Object.entries(criterionForms)) {
    const shape = shapeOf(schema);
    const fields = Object.keys(shape)
      .map((k) => `\`${k}\``)
      .join(', ');
    const main = shape[kind] ?? Object.values(shape)[0];
    const description = main ? (peel(main).description ?? '') : '';
    rows.push(`| \`${kind}\` | ${fields} | ${cell(description)} |`);
  }
  return rows;
}

const DATA_EXAMPLE_CONTEXT = { currency: 'USD', timezone: 'UTC' };

function eventRows(): Record<string, string[]> {
  const schemas = dataSchemas(DATA_EXAMPLE_CONTEXT);
  const blocks: Record<string, string[]> = {
    envelope: fieldRows(shapeOf(envelopeSchema)),
    types: ['| source | type |', '|---|---|'],
  };
  for (const [source, types] of Object.entries(TYPES_BY_SOURCE)) {
    for (const type of types as readonly EventType[]) {
      blocks.types?.push(`| \`${source}\` | [\`${type}\`](#${type.replaceAll('.', '')}) |`);
      blocks[type] = fieldRows(shapeOf(schemas[type]));
    }
  }
  return blocks;
}

/** Every generated block of each document, by name. */
export function referenceBlocks(): Record<string, Record<string, string[]>> {
  return {
    'docs/program.md': {
      program: fieldRows(shapeOf(programSchema)),
      metric: fieldRows(shapeOf(metricSchema)),
      window: windowRows(),
      criterion: criterionRows(),
      score: fieldRows(shapeOf(scoreSchema)),
      'score-part': fieldRows(shapeOf(scorePartSchema)),
      track: fieldRows(shapeOf(trackSchema)),
      tier: fieldRows(shapeOf(tierSchema)),
      benefits: fieldRows(shapeOf(benefitsSchema)),
      policy: fieldRows(shapeOf(policySchema)),
      'demotion-review': fieldRows(shapeOf(demotionReviewSchema)),
      alerts: fieldRows(shapeOf(alertsSchema)),
      certification: fieldRows(shapeOf(certificationSchema)),
    },
    'docs/events.md': eventRows(),
  };
}

const SOURCE_OF: Record<string, string> = {
  'docs/program.md': 'domain/program/schema.ts',
  'docs/events.md': 'domain/events/schema.ts',
};

export const start = (name: string): string => `<!-- reference:${name}:start -->`;
export const end = (name: string): string => `<!-- reference:${name}:end -->`;

/** The document with each generated block replaced; throws when a block's markers are missing. */
export function withReference(doc: string, text: string): string {
  const blocks = referenceBlocks()[doc];
  if (!blocks) throw new Error(`${doc} has no generated reference`);
  let out = text;
  for (const [name, rows] of Object.entries(blocks)) {
    const from = out.indexOf(start(name));
    const to = out.indexOf(end(name));
    if (from < 0 || to < from) throw new Error(`${doc} has no ${start(name)} … ${end(name)} block to fill`);
    const body = [
      start(name),
      `<!-- generated from ${SOURCE_OF[doc] ?? 'the schemas'} by \`npm run docs:reference\` -->`,
      '',
      ...rows,
      '',
      end(name),
    ].join('\n');
    out = out.slice(0, from) + body + out.slice(to + end(name).length);
  }
  return out;
}

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

function main(): void {
  const check = process.argv.includes('--check');
  for (const doc of Object.keys(referenceBlocks())) {
    const path = ROOT + doc;
    const current = readFileSync(path, 'utf8');
    const next = withReference(doc, current);
    if (next === current) {
      if (!check) process.stdout.write(`${doc}: reference tables already up to date\n`);
    } else if (check) {
      process.stderr.write(
        `${doc}: reference tables are out of date with ${SOURCE_OF[doc]}; run \`npm run docs:reference\`\n`,
      );
      process.exitCode = 1;
    } else {
      writeFileSync(path, next);
      process.stdout.write(`${doc}: reference tables written\n`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
