// Reads program files (JSON or YAML, one version or an array) into a validated ProgramSet,
// or a CliError listing every problem by path.
import { readFile } from 'node:fs/promises';
import { loadProgramTexts, type ProgramSet } from '../../domain/program/load.ts';
import { CliError, describeError } from './errors.ts';

export async function readProgramFiles(paths: readonly string[]): Promise<ProgramSet> {
  const texts = await Promise.all(
    paths.map(async (name) => {
      try {
        return { name, text: await readFile(name, 'utf8') };
      } catch (error) {
        throw new CliError(`cannot read program file ${name}: ${describeError(error)}`, 1, { cause: error });
      }
    }),
  );
  const result = loadProgramTexts(texts);
  if (!result.ok) {
    throw new CliError(
      `invalid program ${paths.join(', ')} (${result.problems.length} ` +
        `problem${result.problems.length === 1 ? '' : 's'}):\n  ${result.problems.join('\n  ')}`,
    );
  }
  return result.value;
}
