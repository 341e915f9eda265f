// `tierline history ID [--json] [--all]`: the partner's effective-tier history, the current
// rows, or with --all every row ever recorded, superseded ones marked with when.
import type { Command } from 'commander';
import { effectiveHistory } from '../../services/reads.ts';
import { refusalsAsCliErrors } from '../lib/errors.ts';
import { openDatabase } from '../lib/services.ts';

export async function readHistory(partnerId: string, options: { json?: boolean; all?: boolean }): Promise<void> {
  const db = await openDatabase();
  try {
    const rows = await refusalsAsCliErrors(() => effectiveHistory(db, partnerId, { all: options.all === true }));
    for (const r of rows) {
      if (options.json) {
        console.log(JSON.stringify({ partnerId, ...r }));
        continue;
      }
      const until = r.validTo === null ? 'now' : `${r.validTo} (exclusive)`;
      const mark = r.superseded ? `  [superseded ${r.supersededAt}]` : '';
      console.log(
        `${r.validFrom} .. ${until}: ${r.tier ?? '—'} (${r.status}, program ${r.program.version ?? '—'}) recorded ${r.recordedAt}${mark}`,
      );
    }
    if (rows.length === 0 && !options.json) console.log(`no effective-tier history for ${partnerId} yet`);
  } finally {
    await db.destroy();
  }
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .argument('<partnerId>')
    .option('--json', 'JSON Lines')
    .option('--all', 'also the rows a later correction superseded, marked with when')
    .description("a partner's effective-tier history")
    .action(async (id: string, o: { json?: boolean; all?: boolean }) => readHistory(id, o));
}
