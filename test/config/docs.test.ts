// README's configuration table is generated from the environment schema (config/env.ts): this
// fails when someone changes one without the other.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, renderConfigReference, withConfigReference } from '../../tools/config-docs.ts';
import { ENV_NAMES } from '../../config/env.ts';

describe('README configuration reference', () => {
  const readme = readFileSync(README, 'utf8');

  it('is up to date with config/env.ts', () => {
    expect(
      withConfigReference(readme) === readme,
      'README.md is out of date with the environment schema (config/env.ts): run `npm run docs:config`',
    ).toBe(true);
  });

  it('lists every variable of the schema once', () => {
    const block = renderConfigReference();
    for (const name of ENV_NAMES) expect(block.split(`| \`${name}\` |`).length - 1, name).toBe(1);
  });

  it('refuses a README without the markers rather than guessing where the table goes', () => {
    expect(() => withConfigReference('# no markers here\n')).toThrow(/config:start/);
  });
});
