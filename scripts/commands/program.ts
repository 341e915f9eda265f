// `tierline program load P` / `program validate P` / `program list`: validate and store program
// versions (or only show what storing them would change); a file that does not validate is
// refused whole, with every problem by path.
import type { Command } from 'commander';
import { listProgramVersions } from '../../db/repositories/programs.ts';
import { loadProgramVersions, planProgramLoad, queueRecomputeOfAll } from '../../services/programs.ts';
import { CliError, describeError } from '../lib/errors.ts';
import { readProgramFiles } from '../lib/program-files.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Queues a run over every partner. Postgres is the record: the partners already owe the
 * recompute there, so when Redis is unreachable the load still succeeded and the
 * reconciler queues it once Redis answers.
 */
async function wakeAll(out: (line: string) => void, owed: number): Promise<void> {
  try {
    const services = await openQueueServices('producer');
    try {
      await queueRecomputeOfAll(services.queues, Date.now());
    } finally {
      await services.close();
    }
    out(`queued a recompute of ${plural(owed, 'partner')}`);
  } catch (error) {
    out(
      `stored; ${plural(owed, 'partner')} owe${owed === 1 ? 's' : ''} a recompute, which runs when Redis answers (${describeError(error)})`,
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
      out(
        v.stored
          ? `loaded ${set.id} ${v.version} (effective from ${v.effectiveFrom})`
          : `unchanged ${set.id} ${v.version}: already loaded with this definition, nothing to do`,
      );
    if (result.owed > 0) {
      await wakeAll(out, result.owed);
    }
  } finally {
    await db.destroy();
  }
}

/**
 * `program validate`: every problem of the files by path, then what loading them would do
 * against the stored versions, storing nothing. Validation needs no services; without a
 * database the comparison is skipped with one line saying why.
 */
export async function validatePrograms(files: string[], out: (line: string) => void = console.log): Promise<void> {
  const set = await readProgramFiles(files);
  const programs = set.versions.map((v) => v.program);
  out(`valid: ${set.id}, ${plural(programs.length, 'version')} (${programs.map((p) => p.version).join(', ')})`);
  let db;
  try {
    db = await openDatabase();
  } catch (error) {
    out(`not compared with the stored versions: ${describeError(error)}`);
    return;
  }
  try {
    const plan = await planProgramLoad(db, programs);
    for (const v of plan.versions) {
      if (v.change === 'new')
        out(
          `new ${set.id} ${v.version}: would be loaded (effective from ${v.effectiveFrom}; partners owe a recompute)`,
        );
      else if (v.change === 'unchanged') out(`unchanged ${set.id} ${v.version}: already loaded with this definition`);
    }
    if (plan.problems.length > 0) throw new CliError(`program load would be refused:\n  ${plan.problems.join('\n  ')}`);
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
    .command('validate')
    .argument('<files...>', 'program files (JSON or YAML; one version or an array of versions each)')
    .description('check program files and show what loading them would change; stores nothing')
    .action(async (files: string[]) => validatePrograms(files));
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
