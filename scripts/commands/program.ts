// `tierline program load P` / `program list`: validate and store program versions; a file
// that does not validate is refused whole, with every problem by path.
import type { Command } from 'commander';
import { listProgramVersions } from '../../db/repositories/programs.ts';
import { loadProgramVersions, queueRecomputeOfAll } from '../../services/programs.ts';
import { CliError } from '../lib/errors.ts';
import { readProgramFiles } from '../lib/program-files.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';

/** Queues a run over every partner; if Redis is unreachable the reconciler does it later. */
async function wakeAll(out: (line: string) => void, owed: number): Promise<void> {
  try {
    const services = await openQueueServices('producer');
    try {
      await queueRecomputeOfAll(services.queues, Date.now());
    } finally {
      await services.close();
    }
    out(`queued a recompute of ${owed} partner${owed === 1 ? '' : 's'}`);
  } catch (error) {
    out(
      `${owed} partners owe a recompute; it runs when the workers reach Redis (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

export async function loadPrograms(files: string[], out: (line: string) => void = console.log): Promise<void> {
  const set = await readProgramFiles(files);
  const db = await openDatabase();
  try {
    const result = await loadProgramVersions(
      db,
      set.id,
      set.versions.map((v) => v.program),
    );
    if (!result.stored.ok) throw new CliError(`program refused:\n  ${result.stored.problems.join('\n  ')}`);
    for (const v of result.stored.value)
      out(`${v.stored ? 'loaded' : 'already loaded'} ${set.id} ${v.version} (effective from ${v.effectiveFrom})`);
    if (result.owed > 0) {
      await wakeAll(out, result.owed);
    }
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
          console.log(
            options.json
              ? JSON.stringify({
                  id: r.program_id,
                  version: r.version,
                  effectiveFrom: r.effective_from,
                  loadedAt: r.loaded_at,
                })
              : `${r.program_id}\t${r.version}\teffective from ${r.effective_from}`,
          );
        }
        if (rows.length === 0 && !options.json) console.log('no program loaded');
      } finally {
        await db.destroy();
      }
    });
}
