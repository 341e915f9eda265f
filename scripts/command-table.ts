// Every top-level command: its name, its line in `tierline --help` and the module that
// registers it, loaded only when that command runs. test/cli/command-table.test.ts checks
// that each line here matches what the module registers.
import type { Command } from 'commander';

type Register = (program: Command) => void;

export interface CommandName {
  name: string;
  /** The command as `--help` lists it: name, [options] and arguments. */
  term: string;
  description: string;
}

export interface CommandEntry {
  names: readonly CommandName[];
  load: () => Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    names: [
      {
        name: 'evaluate',
        term: 'evaluate [options]',
        description: 'evaluate a file of events against a program, with no services (the reference)',
      },
    ],
    load: async () => (await import('./commands/evaluate.ts')).registerEvaluate,
  },
  {
    names: [
      {
        name: 'migrate',
        term: 'migrate',
        description: 'create the database if missing and bring its schema up to date (DATABASE_URL)',
      },
    ],
    load: async () => (await import('./commands/migrate.ts')).registerMigrate,
  },
  {
    names: [{ name: 'program', term: 'program', description: 'program definitions' }],
    load: async () => (await import('./commands/program.ts')).registerProgram,
  },
  {
    names: [{ name: 'ingest', term: 'ingest [options] <file>', description: 'put events on the ingest queues' }],
    load: async () => (await import('./commands/ingest.ts')).registerIngest,
  },
  {
    names: [
      {
        name: 'workers',
        term: 'workers [options]',
        description: 'run the workers until SIGINT/SIGTERM, then shut down gracefully',
      },
    ],
    load: async () => (await import('./commands/workers.ts')).registerWorkers,
  },
  {
    names: [{ name: 'recompute', term: 'recompute [options]', description: 'enqueue recomputation' }],
    load: async () => (await import('./commands/recompute.ts')).registerRecompute,
  },
  {
    names: [
      { name: 'scorecard', term: 'scorecard [options] <partnerId>', description: "a partner's scorecard" },
      {
        name: 'ledger',
        term: 'ledger [options] <partnerId>',
        description: "a partner's incentive ledger: totals and entries",
      },
      {
        name: 'decisions',
        term: 'decisions [options] <partnerId>',
        description: "a partner's audit trail of tier decisions",
      },
    ],
    load: async () => (await import('./commands/reads.ts')).registerReads,
  },
  {
    names: [
      { name: 'history', term: 'history [options] <partnerId>', description: "a partner's effective-tier history" },
    ],
    load: async () => (await import('./commands/history.ts')).registerHistory,
  },
  {
    names: [
      {
        name: 'audit',
        term: 'audit [options]',
        description: 'the audit log: overrides, program loads, replays, nightly runs, opt-outs, resends',
      },
    ],
    load: async () => (await import('./commands/audit.ts')).registerAudit,
  },
  {
    names: [
      {
        name: 'emails',
        term: 'emails',
        description: 'the notification emails: sent, skipped, withdrawn, failed, pending',
      },
    ],
    load: async () => (await import('./commands/emails.ts')).registerEmails,
  },
  {
    names: [{ name: 'dlq', term: 'dlq', description: 'the dead-letter store' }],
    load: async () => (await import('./commands/dlq.ts')).registerDlq,
  },
  {
    names: [{ name: 'overrides', term: 'overrides', description: 'manual overrides of the effective tier (audited)' }],
    load: async () => (await import('./commands/overrides.ts')).registerOverrides,
  },
  {
    names: [{ name: 'links', term: 'links', description: "signed links to a partner's own page" }],
    load: async () => (await import('./commands/links.ts')).registerLinks,
  },
  {
    names: [
      {
        name: 'finance',
        term: 'finance [options]',
        description: 'entitled vs paid per partner and benefit for an accrual period (overpayment report)',
      },
    ],
    load: async () => (await import('./commands/finance.ts')).registerFinance,
  },
  {
    names: [
      {
        name: 'whatif',
        term: 'whatif [options]',
        description: 'a draft program against real history, beside the current one; nothing is stored',
      },
    ],
    load: async () => (await import('./commands/whatif.ts')).registerWhatIf,
  },
  {
    names: [
      {
        name: 'reviews',
        term: 'reviews',
        description: 'demotion reviews: approve or reject a pending demotion (audited)',
      },
    ],
    load: async () => (await import('./commands/reviews.ts')).registerReviews,
  },
  {
    names: [
      {
        name: 'connectors',
        term: 'connectors',
        description: 'convert what Salesforce, HubSpot, Stripe and an LMS send into events (mapping file)',
      },
    ],
    load: async () => (await import('./commands/connectors.ts')).registerConnectors,
  },
  {
    names: [{ name: 'fx', term: 'fx', description: 'FX rates the connectors convert foreign amounts with' }],
    load: async () => (await import('./commands/fx.ts')).registerFx,
  },
  {
    names: [
      {
        name: 'serve',
        term: 'serve [options]',
        description:
          'run the HTTP receiver (signed webhooks), the partner pages, the console and /healthz until SIGINT/SIGTERM',
      },
    ],
    load: async () => (await import('./commands/serve.ts')).registerServe,
  },
  {
    names: [
      {
        name: 'demo',
        term: 'demo [options]',
        description:
          'seed a realistic program and partners, run every worker, stream live events and show tier changes and emails as they happen',
      },
    ],
    load: async () => (await import('./commands/demo.ts')).registerDemo,
  },
];

export function commandFor(name: string | undefined): CommandEntry | undefined {
  return name === undefined ? undefined : COMMANDS.find((c) => c.names.some((n) => n.name === name));
}
