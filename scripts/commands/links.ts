// `tierline links create ID [--days 30]`: prints a signed URL of the partner's own page
// (`serve`'s GET /p/{token}), valid through the given number of days.
import type { Command } from 'commander';
import { checkLinkDays, createPartnerLink } from '../../services/pages/partner-link.ts';
import { today } from '../../workers/clock.ts';
import { linkSecretFromEnv, publicUrlFromEnv } from '../../workers/http/pages/config.ts';
import { refusalsAsCliErrors } from '../lib/errors.ts';
import { openDatabase } from '../lib/services.ts';

export async function createLink(
  partnerId: string,
  options: { days?: string; json?: boolean },
  out: (line: string) => void = console.log,
): Promise<void> {
  const days = await refusalsAsCliErrors(async () => checkLinkDays(options.days));
  const db = await openDatabase();
  try {
    const link = await refusalsAsCliErrors(() =>
      createPartnerLink(
        db,
        { partnerId, days },
        { secret: linkSecretFromEnv().secret, publicUrl: publicUrlFromEnv(), today },
      ),
    );
    out(options.json ? JSON.stringify({ partnerId, ...link }) : `${link.url}\n(valid through ${link.expiresOn})`);
  } finally {
    await db.destroy();
  }
}

export function registerLinks(program: Command): void {
  const cmd = program.command('links').description("signed links to a partner's own page");
  cmd
    .command('create')
    .argument('<partnerId>')
    .option('--days <n>', 'how many days the link opens the page, today included (default 30)')
    .option('--json', 'JSON: url and expiresOn')
    .description('print a signed partner-page URL (TIERLINE_PUBLIC_URL, TIERLINE_LINK_SECRET)')
    .action(async (id: string, o: { days?: string; json?: boolean }) => createLink(id, o));
}
