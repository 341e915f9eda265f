// `tierline audit [--partner ID] [--json] [--limit N]`: the audit log, newest first
// (overrides with author and reason, program loads, replays, nightly runs, opt-outs, resends).
import type { Command } from 'commander';
import { auditLog } from '../../services/reads.ts';
import { positiveInteger } from '../lib/options.ts';
import { openDatabase } from '../lib/services.ts';

interface AuditOptions {
  partner?: string;
  json?: boolean;
  limit: number;
}

export async function readAudit(options: AuditOptions): Promise<void> {
  const db = await openDatabase();
  try {
    const rows = await auditLog(db, { partnerId: options.partner, limit: options.limit });
    for (const r of rows) {
      if (options.json) console.log(JSON.stringify(r));
      else
        console.log(
          `#${r.id} ${r.at} ${r.action} by ${r.actor}${r.partnerId ? ` for ${r.partnerId}` : ''}: ${JSON.stringify(r.details)}`,
        );
    }
    if (rows.length === 0 && !options.json)
      console.log(`no audit entries${options.partner ? ` for ${options.partner}` : ''}`);
  } finally {
    await db.destroy();
  }
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .option('--partner <id>', "only this partner's entries")
    .option('--limit <n>', 'at most this many entries, newest first', positiveInteger, 50)
    .option('--json', 'JSON Lines')
    .description('the audit log: overrides, program loads, replays, nightly runs, opt-outs, resends')
    .action(async (o: AuditOptions) => readAudit(o));
}
