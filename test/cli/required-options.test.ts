// Issue #21 item 9: required options are marked in --help and all missing ones are reported
// at once, in one line (commander alone stops at the first).
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../scripts/lib/errors.ts';
import { reportMissingOptionsTogether } from '../../scripts/lib/required-options.ts';
import { tierline } from './support.ts';

function command(): { cmd: Command; ran: unknown[] } {
  const ran: unknown[] = [];
  const program = new Command('tool').exitOverride();
  const cmd = program
    .command('set')
    .argument('<id>')
    .requiredOption('--until <date>', 'last day')
    .requiredOption('--reason <text>', 'why')
    .option('--by <name>', 'who')
    .action((id: string, o: unknown) => void ran.push([id, o]));
  reportMissingOptionsTogether(cmd);
  return { cmd: program, ran };
}

describe('reportMissingOptionsTogether', () => {
  it('names every missing required option in one line', async () => {
    const { cmd, ran } = command();
    const run = cmd.parseAsync(['set', 'P-1'], { from: 'user' });
    await expect(run).rejects.toThrow(CliError);
    await expect(command().cmd.parseAsync(['set', 'P-1'], { from: 'user' })).rejects.toThrow(
      'set: missing required options --until <date>, --reason <text> (see --help)',
    );
    await expect(command().cmd.parseAsync(['set', 'P-1', '--until', 'x'], { from: 'user' })).rejects.toThrow(
      'set: missing required option --reason <text> (see --help)',
    );
    expect(ran).toEqual([]);
  });

  it('runs the action when they are all given', async () => {
    const { cmd, ran } = command();
    await cmd.parseAsync(['set', 'P-1', '--until', '2027-01-01', '--reason', 'r'], { from: 'user' });
    expect(ran).toEqual([['P-1', { until: '2027-01-01', reason: 'r' }]]);
  });

  it('marks them "(required)" in --help, and only them', () => {
    const { cmd } = command();
    const help = cmd.commands[0]?.helpInformation() ?? '';
    expect(help).toMatch(/--until <date>\s+last day \(required\)/);
    expect(help).toMatch(/--reason <text>\s+why \(required\)/);
    expect(help).toMatch(/--by <name>\s+who\n/);
  });
});

describe('tierline evaluate (the real binary)', () => {
  it('names every missing required option in one line and marks the three in --help', () => {
    const r = tierline(['evaluate', '--as-of', '2026-11-23'], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'tierline: evaluate: missing required options --program <file>, --events <file> (see --help)\n',
    );
    const help = tierline(['evaluate', '--help'], {});
    expect(help.stdout.match(/\(required\)/g)).toHaveLength(3);
  }, 60_000);
});
