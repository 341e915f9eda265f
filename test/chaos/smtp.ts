// The chaos harness's SMTP server, switchable between three behaviours: refuse (nothing
// listens on its port: connections are refused), tempfail (it answers, and every MAIL FROM
// gets 451) and accept (it records every message's Message-ID and recipients).
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export type SmtpMode = 'refuse' | 'tempfail' | 'accept';

export interface Delivered {
  messageId: string;
  to: string[];
}

export class ChaosSmtp {
  readonly delivered: Delivered[] = [];
  /** Transactions answered 451. */
  tempfailed = 0;
  private mode: SmtpMode = 'accept';
  private listening = false;
  private readonly server: SMTPServer;
  port = 0;

  /** `host`: the address to listen on (default 127.0.0.1), e.g. one other network namespaces reach. */
  constructor(readonly host = '127.0.0.1') {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      hideSTARTTLS: true,
      logger: false,
      size: 10 * 1024 * 1024,
      onMailFrom: (_address, _session, callback) => {
        if (this.mode === 'accept') return callback();
        this.tempfailed++;
        callback(Object.assign(new Error('4.3.2 try again later (chaos)'), { responseCode: 451 }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const head =
            Buffer.concat(chunks)
              .toString('utf8')
              .split(/\r?\n\r?\n/, 1)[0] ?? '';
          const messageId = /^message-id:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '';
          this.delivered.push({ messageId, to: session.envelope.rcptTo.map((a) => a.address.toLowerCase()) });
          callback(null, 'queued');
        });
      },
    });
    this.server.on('error', () => {});
  }

  get url(): string {
    return `smtp://${this.host}:${this.port}`;
  }

  async start(mode: SmtpMode): Promise<void> {
    await this.listen();
    await this.set(mode);
  }

  private async listen(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.server.once('error', reject);
      this.server.server.listen(this.port, this.host, () => {
        this.server.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    this.listening = true;
  }

  async set(mode: SmtpMode): Promise<void> {
    this.mode = mode;
    if (mode === 'refuse') {
      if (!this.listening) return;
      this.listening = false;
      // Pooled connections from before would still be served: cut them too.
      for (const connection of (this.server as unknown as { connections: Set<{ close(): void }> }).connections)
        connection.close();
      await new Promise<void>((resolve) => this.server.server.close(() => resolve()));
    } else await this.listen();
  }

  async close(): Promise<void> {
    if (this.listening) await this.set('refuse');
  }
}
