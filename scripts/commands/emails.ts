// `tierline emails list [--partner ID] [--status S] [--json]`, `emails show ID [--json]`,
// `emails resend ID [--by NAME]`: the outbox (docs/notifications.md).
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { listEmails, OUTBOX_STATUSES, resendEmail, showEmail, type EmailSummary } from '../../services/emails.ts';
import { refusalsAsCliErrors } from '../lib/errors.ts';
import { positiveInteger } from '../lib/options.ts';
import { openDatabase } from '../lib/services.ts';

interface ListOptions {
  partner?: string;
  status?: string;
  json?: boolean;
  limit: number;
}

function digestNote(r: EmailSummary): string {
  return r.digest ? `, in daily digest #${r.digest.id} (${r.digest.key}, ${r.digest.status})` : '';
}

export async function listEmailsCommand(options: ListOptions): Promise<void> {
  const db = await openDatabase();
  try {
    const rows = await refusalsAsCliErrors(() =>
      listEmails(db, { partnerId: options.partner, status: options.status, limit: options.limit }),
    );
    for (const r of rows) {
      if (options.json) console.log(JSON.stringify(r));
      else
        console.log(
          `#${r.id} ${r.partnerId} ${r.kind}${r.day ? ` (${r.day})` : ''} ${r.status}${r.reason ? `: ${r.reason}` : ''} — created ${r.createdAt}${r.sentAt ? `, sent ${r.sentAt}` : ''}${r.resendOf ? `, resends #${r.resendOf}` : ''}${digestNote(r)}`,
        );
    }
    if (rows.length === 0 && !options.json) console.log('no emails');
  } finally {
    await db.destroy();
  }
}

export async function showEmailCommand(id: string, options: { json?: boolean }): Promise<void> {
  const db = await openDatabase();
  try {
    const email = await refusalsAsCliErrors(() => showEmail(db, id));
    if (options.json) {
      console.log(JSON.stringify(email));
      return;
    }
    console.log(
      `Email #${email.id} (${email.kind}, ${email.status}) to ${email.to.join(', ') || 'no primary contact'}`,
    );
    if (email.digest) {
      // The partner received it inside its day's digest: show the digest as it reads.
      console.log(`Part of daily digest #${email.digest.id} (${email.digest.key}, ${email.digest.status})`);
      console.log(`Subject: ${email.digest.rendered.subject}`);
      console.log('');
      console.log(email.digest.rendered.text);
      return;
    }
    console.log(`Subject: ${email.rendered.subject}`);
    console.log('');
    console.log(email.rendered.text);
  } finally {
    await db.destroy();
  }
}

export async function resendEmailCommand(id: string, options: { by?: string }): Promise<void> {
  const db = await openDatabase();
  try {
    const by = options.by ?? userInfo().username;
    const resent = await refusalsAsCliErrors(() => resendEmail(db, id, by));
    console.log(`email #${id} queued again as #${resent.id} (the notifier sends it)`);
  } finally {
    await db.destroy();
  }
}

export function registerEmails(program: Command): void {
  const emails = program
    .command('emails')
    .description('the notification emails: sent, skipped, withdrawn, failed, pending');
  emails
    .command('list')
    .option('--partner <id>', "only this partner's emails")
    .addOption(new Option('--status <status>', 'only this status').choices(OUTBOX_STATUSES))
    .option('--limit <n>', 'at most this many, newest first', positiveInteger, 100)
    .option('--json', 'JSON Lines')
    .description('the outbox, newest first, with why an email was skipped, withdrawn or failed')
    .action(async (o: ListOptions) => listEmailsCommand(o));
  emails
    .command('show')
    .argument('<id>')
    .option('--json', 'JSON: subject, text and HTML')
    .description('the text of one email, rendered as the notifier renders it')
    .action(async (id: string, o: { json?: boolean }) => showEmailCommand(id, o));
  emails
    .command('resend')
    .argument('<id>')
    .option('--by <name>', 'who resends it (default: the OS user)')
    .description('queue an email to be sent again (a new outbox row; audited)')
    .action(async (id: string, o: { by?: string }) => resendEmailCommand(id, o));
}
