// `tierline program load P` / `program list`: validate and store program versions; a file
// that does not validate is refused whole, with every problem by path.
import type { Command } from 'commander';
import { listProgramVersions, storeProgramVersions } from '../../db/repositories/programs.ts';
import { inTransaction } from '../../db/transactions.ts';
import { CliError } from '../lib/errors.ts';
import { readProgramFiles } from '../lib/program-files.ts';
import { openDatabase } from '../lib/services.ts';

export async function loadPrograms(files: string[], out: (line: string) => void = console.log): Promise<void> {
  const set = await readProgramFiles(files);
  const db = await openDatabase();
  try {
    const result = await inTransaction(db, (trx) => storeProgramVersions(trx, set.versions.map((v) => v.program)));
    if (!result.ok) throw new CliError(`program refused:\n  ${result.problems.join('\n  ')}`);
    for (const v of result.value) out(`${v.stored ? 'loaded' : 'already loaded'} ${set.id} ${v.version} (effective from ${v.effectiveFrom})`);
  } finally {
    await db.destroy();
  }
}

export function registerProgram(program: Command): void {
  const cmd = program.command('program').description('program definitions');
  cmd
    .command('load')
    .argument('<files...>', 'program files (JSON or YAML; one version or an array of versions each)')
    .description('validate and store program versions (refused whole if invalid)')
    .action(async (files: string[]) => loadPrograms(files));
  cmd
    .command('list')
    .option('--json', 'JSON Lines')
    .description('list stored program versions')
    .action(async (options: { json?: boolean }) => {
      const db = await openDatabase();
      try {
        const rows = await listProgramVersions(db);
        for (const r of rows) {
          console.log(options.json ? JSON.stringify({ id: r.program_id, version: r.version, effectiveFrom: r.effective_from, loadedAt: r.loaded_at }) : `${r.program_id}\t${r.version}\teffective from ${r.effective_from}`);
        }
        if (rows.length === 0 && !options.json) console.log('no program loaded');
      } finally {
        await db.destroy();
      }
    });
}
