// `tierline fx load FILE.csv` / `tierline fx list`: the FX rates the live connectors convert
// foreign amounts with (docs/connectors.md#fx-rates).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { countRates } from '../../db/repositories/connectors.ts';
import { loadRatesFile } from '../../services/connectors/fx.ts';
import { CliError, describeError, refusalsAsCliErrors } from '../lib/errors.ts';
import { openDatabase } from '../lib/services.ts';

export async function runFxLoad(file: string, out: (line: string) => void = console.log): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read rates file ${file}: ${describeError(error)}`, 1, { cause: error });
  }
  const db = await openDatabase();
  try {
    const { rates } = await refusalsAsCliErrors(() => loadRatesFile(db, text, file));
    out(`loaded ${rates} rate${rates === 1 ? '' : 's'} from ${file}`);
  } finally {
    await db.destroy();
  }
}

export function registerFx(program: Command): void {
  const fx = program.command('fx').description('FX rates the connectors convert foreign amounts with');
  fx.command('load <file>')
    .description('store FX rates from a CSV file: date,currency,rate (program-currency units per unit)')
    .action(async (file: string) => runFxLoad(file));
  fx.command('list')
    .description('the stored rates: per currency, how many days and the first and last')
    .action(async () => {
      const db = await openDatabase();
      try {
        const rows = await countRates(db);
        if (rows.length === 0) console.log('no FX rates stored (tierline fx load FILE.csv)');
        for (const r of rows) console.log(`${r.currency}  ${r.days} days  ${r.first} .. ${r.last}`);
      } finally {
        await db.destroy();
      }
    });
}
