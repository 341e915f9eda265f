// Salesforce CDC through `connectors ingest`: an UPDATE in a later file is merged onto the
// state its CREATE left in Postgres; an UPDATE of an unknown record is dead-lettered.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadMapping, type Mapping } from '../../domain/connectors/mapping.ts';
import { ingestConnectorFile } from '../../services/connectors/ingest-file.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

const loaded = loadMapping('salesforce:\n  organizationId: 00D5g000004XyzQEAS\n  partnerField: PartnerAccountId\n');
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const mapping: Mapping = loaded.value;

const header = (changeType: string, recordId: string, changedFields: string[] = []) => ({
  entityName: 'Opportunity',
  recordIds: [recordId],
  changeType,
  changedFields,
  commitTimestamp: 1795183391000,
});
const create = {
  id: 'e1',
  schemaId: 's',
  replayId: 1,
  payload: {
    ChangeEventHeader: header('CREATE', '006A'),
    Amount: 48250,
    CurrencyIsoCode: 'USD',
    PartnerAccountId: 'P-CDC',
    AccountId: '001C',
    IsWon: false,
    IsClosed: false,
    CloseDate: 1797292800000,
    LastModifiedDate: 1795183391000,
  },
};
const update = (recordId: string) => ({
  id: 'e2',
  schemaId: 's',
  replayId: 2,
  payload: {
    ChangeEventHeader: header('UPDATE', recordId, ['IsWon', 'IsClosed', 'LastModifiedDate']),
    Amount: null,
    IsWon: true,
    IsClosed: true,
    LastModifiedDate: 1795269791000,
  },
});

describeWithPostgres('connectors ingest salesforce-cdc', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await createPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const ingest = (lines: unknown[], file: string) =>
    ingestConnectorFile(
      pipeline.database.db,
      pipeline.queues,
      'salesforce-cdc',
      lines.map((l) => JSON.stringify(l)).join('\n'),
      {
        file,
        mapping,
        now: Date.now(),
      },
    );

  it('merges an UPDATE from a later file onto the stored state', async () => {
    const first = await ingest([create], 'day1.jsonl');
    expect(first).toMatchObject({ accepted: 1, deadLettered: 0 });
    const second = await ingest([update('006A'), update('006UNKNOWN')], 'day2.jsonl');
    expect(second).toMatchObject({ accepted: 1, deadLettered: 1 });
    expect(second.problems).toEqual([
      {
        line: 2,
        reason: 'replayId 2 006UNKNOWN: an update of a record with no known state: needs a fetch of 006UNKNOWN',
      },
    ]);
    const jobs = await pipeline.queues.crm.getJobs(['waiting']);
    const events = jobs.flatMap((j) =>
      (j.data as { events: Array<{ raw: string }> }).events.map((e) => JSON.parse(e.raw) as { data: unknown }),
    );
    expect(events.map((e) => e.data)).toContainEqual({
      dealId: '006A',
      stage: 'closed_won',
      amount: '48250.00',
      currency: 'USD',
      customerId: '001C',
      closedAt: '2026-12-15',
      version: 1795269791000,
    });
  });
});
