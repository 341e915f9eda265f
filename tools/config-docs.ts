// `npm run docs:config [-- --check]`: writes README's configuration table from the
// environment schema (config/env.ts), between <!-- config:start --> and <!-- config:end -->,
// so the table cannot drift from what the code accepts. --check only reports (exit 1 when
// the README is out of date); test/config/docs.test.ts does the same in `npm test`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENV_DOCS, ENV_GROUPS, ENV_NAMES, ENV_SCHEMA } from '../config/env.ts';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
export const START = '<!-- config:start -->';
export const END = '<!-- config:end -->';

const cell = (text: string): string => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');

function shownDefault(name: (typeof ENV_NAMES)[number]): string {
  const schema = ENV_SCHEMA.shape[name];
  const shown = ENV_DOCS.get(schema)?.shownDefault;
  if (shown !== undefined) return shown;
  const value: unknown = schema.parse(undefined);
  return value === undefined ? 'unset' : `\`${String(value)}\``;
}

/** The generated block, markers included. */
export function renderConfigReference(): string {
  const lines = [
    START,
    '<!-- generated from config/env.ts by `npm run docs:config`: change the schema, then run it -->',
    'Every variable is checked when `workers`, `serve` and `demo` start: an invalid value stops the',
    'command with one line naming the variable. An empty value counts as unset.',
    '',
    '| variable | default | accepts | what |',
    '|---|---|---|---|',
  ];
  for (const group of ENV_GROUPS) {
    const names = ENV_NAMES.filter((name) => ENV_DOCS.get(ENV_SCHEMA.shape[name])?.group === group);
    if (names.length === 0) continue;
    lines.push(`| **${group}** | | | |`);
    for (const name of names) {
      const schema = ENV_SCHEMA.shape[name];
      const doc = ENV_DOCS.get(schema);
      lines.push(
        `| \`${name}\` | ${cell(shownDefault(name))} | ${cell(doc?.accepts ?? '')} | ${cell(schema.description ?? '')} |`,
      );
    }
  }
  lines.push(END);
  return lines.join('\n');
}

/** The README with its configuration block replaced; throws when the markers are missing. */
export function withConfigReference(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block to fill`);
  return readme.slice(0, start) + renderConfigReference() + readme.slice(end + END.length);
}

function main(): void {
  const current = readFileSync(README, 'utf8');
  const next = withConfigReference(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      process.stderr.write(
        'README.md: the configuration table is out of date with config/env.ts; run `npm run docs:config`\n',
      );
      process.exitCode = 1;
    }
    return;
  }
  if (next === current) {
    process.stdout.write('README.md: configuration table already up to date\n');
    return;
  }
  writeFileSync(README, next);
  process.stdout.write(`README.md: configuration table written (${ENV_NAMES.length} variables)\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
