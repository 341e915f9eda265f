// A real SMTP server for notifier tests (smtp-server on a free loopback port): it records
// every message it accepts, parsed with mailparser, and can refuse recipients (550), fail
// transiently (451), or hold a message after DATA without answering (to kill a sender
// mid-send). Tracked by the leak check: a test that forgets close() fails.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { track } from '../setup/leaks.ts';
import { pollUntil } from '../setup/wait.ts';

export interface Received {
  /** RCPT TO addresses of the transaction. */
  to: string[];
  from: string;
  messageId: string;
  raw: Buffer;
  mail: ParsedMail;
}

export interface Held {
  to: string[];
  raw: Buffer;
  /** Answers the held DATA (250), as if the server had just finished. */
  accept(): void;
}

export interface SmtpPolicy {
  /** A reply code (and text) to refuse RCPT TO with, or undefined to accept. */
  rcpt?(address: string): { code: number; message: string } | undefined;
  /** A reply to refuse the message with after DATA, or undefined to accept. */
  data?(to: string[], raw: Buffer): { code: number; message: string } | undefined;
  /** Whether to hold this message: read it whole, then never answer until accept(). */
  hold?(to: string[], raw: Buffer): boolean;
}

export interface TestSmtp {
  url: string;
  port: number;
  received: Received[];
  held: Held[];
  /** Transactions that reached DATA, accepted or not. */
  dataCount(): number;
  policy: SmtpPolicy;
  /** Resolves once `n` messages have been accepted. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

function refusal(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

export async function startSmtp(policy: SmtpPolicy = {}): Promise<TestSmtp> {
  const received: Received[] = [];
  const held: Held[] = [];
  let data = 0;
  const state = { policy };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    hideSTARTTLS: true,
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const refused = state.policy.rcpt?.(address.address.toLowerCase());
      callback(refused ? refusal(refused.code, refused.message) : null);
    },
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo.map((a) => a.address.toLowerCase());
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      void readAll(stream).then(async (raw) => {
        data++;
        const refused = state.policy.data?.(to, raw);
        if (refused) return callback(refusal(refused.code, refused.message));
        const accept = async (): Promise<void> => {
          const mail = await simpleParser(raw);
          received.push({ to, from, messageId: mail.messageId ?? '', raw, mail });
          callback(null, 'queued');
        };
        if (state.policy.hold?.(to, raw)) {
          held.push({ to, raw, accept: () => void accept().catch(() => {}) });
          return;
        }
        await accept();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;
  const close = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  const release = track({ kind: 'smtp-server', label: `127.0.0.1:${port}`, close });
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    held,
    dataCount: () => data,
    get policy() {
      return state.policy;
    },
    set policy(p: SmtpPolicy) {
      state.policy = p;
    },
    async waitFor(n, timeoutMs = 20_000) {
      return pollUntil(
        `the SMTP server to receive ${n} messages`,
        async () => (received.length >= n ? received : undefined),
        timeoutMs,
        20,
      );
    },
    async close() {
      release();
      // Connections left open (a killed client's) would keep close() waiting for its timeout.
      for (const connection of server.connections) connection.close();
      await close();
    },
  };
}
