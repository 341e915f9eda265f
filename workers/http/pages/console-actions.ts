// The console's forms: set and clear overrides (services/overrides.ts), replay dead letters
// (services/dead-letters.ts) and create a partner-page link, each through the same service as
// the CLI, audited with the name the form asks for (marked "via console") and the reason.
// A refusal (an unknown tier, a bad date) re-renders the form with the service's own message.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listActiveOverrides } from '../../../db/repositories/overrides.ts';
import { checkDeadLetterIds, replayDeadLetters, wakeRecomputes } from '../../../services/dead-letters.ts';
import { Refusal } from '../../../services/errors.ts';
import { clearOverrides, setOverride, wakePartner } from '../../../services/overrides.ts';
import { checkLinkDays, createPartnerLink } from '../../../services/pages/partner-link.ts';
import { errorMessage } from '../../../lib/errors.ts';
import type { ConsoleContext } from './console.ts';
import { CONSOLE_PATH } from './console-auth.ts';
import { MESSAGE, OVERRIDES, PARTNER_DETAIL } from './console-templates.ts';
import { partnerDetailView } from './console-reads.ts';

export type Form = Record<string, string | string[] | undefined>;

export const field = (form: Form, name: string): string | undefined => {
  const v = form[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s.trim() === '' ? undefined : s.trim().slice(0, 1000);
};

const fields = (form: Form, name: string): string[] => {
  const v = form[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

/** The audit actor: the name typed into the form, marked as coming from the console. */
export function actor(form: Form): string {
  const by = field(form, 'by');
  if (by === undefined) throw new Refusal('say who you are: the name field is required (it goes into the audit log)');
  return `${by.slice(0, 100)} (console)`;
}

export function registerConsoleActions(app: FastifyInstance, c: ConsoleContext): void {
  const { db } = c;
  const formOf = (request: FastifyRequest): Form => (request.body ?? {}) as Form;
  const wake = async (request: FastifyRequest, work: () => Promise<void>): Promise<void> => {
    // Postgres is the record; the reconciler queues the recompute if Redis is down.
    await work().catch((error: unknown) =>
      request.log.warn({ reason: errorMessage(error) }, 'console: stored; waking the workers failed'),
    );
  };
  const refused = async (
    request: FastifyRequest,
    reply: FastifyReply,
    partnerId: string | undefined,
    error: unknown,
  ) => {
    if (!(error instanceof Refusal)) throw error;
    if (partnerId !== undefined && partnerId.length <= 200)
      return c.page(
        request,
        reply,
        PARTNER_DETAIL,
        await partnerDetailView(c, partnerId, { error: error.message }),
        400,
      );
    return c.page(
      request,
      reply,
      OVERRIDES,
      { title: 'Overrides', rows: await listActiveOverrides(db), form: formOf(request), error: error.message },
      400,
    );
  };

  app.post(`${CONSOLE_PATH}/overrides`, { preHandler: c.protect }, async (request, reply) => {
    const form = formOf(request);
    const partnerId = field(form, 'partnerId') ?? '';
    try {
      const set = await setOverride(
        db,
        {
          partnerId,
          tier: field(form, 'tier') ?? '',
          from: field(form, 'from'),
          until: field(form, 'until') ?? '',
          reason: field(form, 'reason') ?? '',
          by: actor(form),
        },
        { today: c.today, currentUser: () => 'console' },
      );
      if (set.created) await wake(request, () => wakePartner(db, c.queues, partnerId));
      const notice = set.created ? `Override #${set.id} set.` : `Override #${set.id} already exists; nothing stored.`;
      return c.page(request, reply, PARTNER_DETAIL, await partnerDetailView(c, partnerId, { notice }));
    } catch (error) {
      return refused(request, reply, partnerId === '' ? undefined : partnerId, error);
    }
  });

  app.post(`${CONSOLE_PATH}/overrides/clear`, { preHandler: c.protect }, async (request, reply) => {
    const form = formOf(request);
    const partnerId = field(form, 'partnerId') ?? '';
    try {
      const reason = field(form, 'reason');
      if (reason === undefined) throw new Refusal('a reason is required to clear overrides');
      const cleared = await clearOverrides(db, partnerId, actor(form), reason);
      if (cleared > 0) await wake(request, () => wakePartner(db, c.queues, partnerId));
      const notice = cleared > 0 ? `Cleared ${cleared} override${cleared === 1 ? '' : 's'}.` : 'No active override.';
      return c.page(request, reply, PARTNER_DETAIL, await partnerDetailView(c, partnerId, { notice }));
    } catch (error) {
      return refused(request, reply, partnerId === '' ? undefined : partnerId, error);
    }
  });

  app.post(`${CONSOLE_PATH}/partners/:id/link`, { preHandler: c.protect }, async (request, reply) => {
    const partnerId = (request.params as { id: string }).id;
    try {
      const days = checkLinkDays(field(formOf(request), 'days'));
      const link = await createPartnerLink(
        db,
        { partnerId, days },
        { secret: c.linkSecret, publicUrl: c.publicUrl, today: c.today },
      );
      return c.page(request, reply, PARTNER_DETAIL, await partnerDetailView(c, partnerId, { link }));
    } catch (error) {
      return refused(request, reply, partnerId, error);
    }
  });

  app.post(`${CONSOLE_PATH}/dead-letters/replay`, { preHandler: c.protect }, async (request, reply) => {
    const form = formOf(request);
    try {
      const ids = checkDeadLetterIds(fields(form, 'id').slice(0, 1000), 'id');
      if (ids.length === 0) throw new Refusal('check at least one dead letter to replay');
      const { owed, ...summary } = await replayDeadLetters(db, ids, actor(form));
      await wake(request, () => wakeRecomputes(c.queues, owed));
      return c.page(request, reply, MESSAGE, {
        title: 'Replayed',
        heading: 'Replay done',
        message: `Replayed ${summary.replayed}; still broken ${summary.stillBroken}.`,
      });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return c.page(
        request,
        reply,
        MESSAGE,
        { title: 'Refused', heading: 'Nothing replayed', message: error.message },
        400,
      );
    }
  });
}
