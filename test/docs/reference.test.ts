// docs/ is the project's reference. Its field tables are generated from the zod schemas
// (tools/docs-reference.ts), its example programs must load, and docs/cli.md must cover
// every command the CLI has: each test fails when the docs drift from the code.
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { loadProgramTexts } from '../../domain/program/load.ts';
import { referenceBlocks, ROOT, start, withReference } from '../../tools/docs-reference.ts';

const read = (doc: string): string => readFileSync(ROOT + doc, 'utf8');

describe('generated reference tables', () => {
  for (const doc of Object.keys(referenceBlocks())) {
    it(`${doc} is up to date with the schemas`, () => {
      const text = read(doc);
      expect(
        withReference(doc, text) === text,
        `${doc} is out of date with the zod schemas: run \`npm run docs:reference\``,
      ).toBe(true);
    });
  }

  it('lists every field of the program schema, including the optional labels', () => {
    const text = read('docs/program.md');
    for (const field of ['effectiveFrom', 'metrics', 'certifications', 'policy', 'alerts', 'label', 'eachAboveZero'])
      expect(text, field).toContain(`| \`${field}\` |`);
  });

  it('refuses a document without a block rather than guessing where the table goes', () => {
    expect(() => withReference('docs/program.md', '# no markers\n')).toThrow(/reference:program:start/);
    expect(read('docs/events.md')).toContain(start('deal.upserted'));
  });
});

/** The ```json example blocks of docs/program.md: complete programs, each loadable alone. */
function examplePrograms(): string[] {
  return [...read('docs/program.md').matchAll(/^```json example\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

describe('docs/program.md examples', () => {
  const examples = examplePrograms();

  it('has a complete example for every criterion kind and every window kind', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    const all = examples.join('\n');
    for (const kind of [
      '"atLeast"',
      '"atMost"',
      '"allOf"',
      '"anyOf"',
      '"score"',
      '"trailing"',
      '"calendar"',
      '"active"',
    ])
      expect(all, kind).toContain(kind);
  });

  it.each(examples.map((text, i) => [i + 1, text] as const))(
    'example %i loads with the real program loader',
    (_, text) => {
      const result = loadProgramTexts([{ name: 'example.json', text }]);
      expect(result.ok ? [] : result.problems).toEqual([]);
    },
  );
});

/** Every command of scripts/commands/ registered on one Command, as `tierline` builds it. */
async function cliCommands(): Promise<Command> {
  const program = new Command('tierline');
  for (const file of readdirSync(ROOT + 'scripts/commands')
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const module = (await import(pathToFileURL(ROOT + 'scripts/commands/' + file).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module))
      if (name.startsWith('register') && typeof value === 'function') (value as (p: Command) => void)(program);
  }
  return program;
}

describe('docs/cli.md', () => {
  it('names every command and subcommand and every option', async () => {
    const cli = read('docs/cli.md');
    const program = await cliCommands();
    expect(program.commands.length).toBeGreaterThan(5);
    const walk = (command: Command, path: string): void => {
      expect(cli, path).toContain(path);
      for (const option of command.options)
        expect(cli, `${path} ${option.long ?? option.flags}`).toContain(option.long);
      for (const sub of command.commands) walk(sub, `${path} ${sub.name()}`);
    };
    for (const command of program.commands) walk(command, `tierline ${command.name()}`);
  }, 30_000);
});
