// The command table lists each command without loading it; these checks keep its help lines
// equal to what the modules register, and `tierline --help` fast.
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../scripts/command-table.ts';

describe('the command table', () => {
  for (const entry of COMMANDS) {
    const names = entry.names.map((n) => n.name).join(', ');
    it(`matches what the module registers: ${names}`, async () => {
      const program = new Command('tierline');
      (await entry.load())(program);
      const registered = program.commands.map((cmd) => ({
        name: cmd.name(),
        term: new Help().subcommandTerm(cmd),
        description: cmd.description(),
      }));
      expect(registered).toEqual(entry.names);
    });
  }

  it('names each command once', () => {
    const all = COMMANDS.flatMap((c) => c.names.map((n) => n.name));
    expect(new Set(all).size).toBe(all.length);
  });
});
