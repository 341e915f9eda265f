import { readFileSync } from 'node:fs';
import { loadProgramTexts } from '../../domain/program/load.ts';
import type { Program } from '../../domain/program/schema.ts';

export function loadExampleProgram(): Program {
  const loaded = loadProgramTexts([{ name: 'acme', text: readFileSync('examples/acme/program.json', 'utf8') }]);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const first = loaded.value.versions[0];
  if (!first) throw new Error('no version');
  return first.program;
}
