// Required options, the way users need them: marked "(required)" in --help, and every missing
// one named at once in one line (commander's own check stops at the first, so a user fixes
// one, runs again and meets the next). Declare them with `.requiredOption(...)`, then call
// reportMissingOptionsTogether(command).
import type { Command } from 'commander';
import { CliError } from './errors.ts';

const MARK = '(required)';

/** Takes over commander's check of `command`'s required options; returns the command. */
export function reportMissingOptionsTogether(command: Command): Command {
  const required = command.options.filter((o) => o.mandatory);
  for (const option of required) {
    option.mandatory = false;
    if (!option.description.includes(MARK)) option.description = `${option.description} ${MARK}`.trim();
  }
  if (required.length === 0) return command;
  return command.hook('preAction', (self) => {
    const missing = required.filter((o) => self.getOptionValue(o.attributeName()) === undefined);
    if (missing.length === 0) return;
    const names = missing.map((o) => o.flags).join(', ');
    const path: string[] = [];
    for (let c: Command | null = self; c?.parent; c = c.parent) path.unshift(c.name());
    throw new CliError(
      `${path.join(' ')}: missing required option${missing.length === 1 ? '' : 's'} ${names} (see --help)`,
    );
  });
}
