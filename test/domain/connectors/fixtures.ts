import { readFileSync } from 'node:fs';
import { loadMapping, type Mapping } from '../../../domain/connectors/mapping.ts';
import type { ConvertContext } from '../../../domain/connectors/outcome.ts';

export const FIXTURES = new URL('../../fixtures/connectors/', import.meta.url);
export const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

function mapping(): Mapping {
  const loaded = loadMapping(fixture('mapping.yaml'));
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.value;
}

export const CTX: ConvertContext = { mapping: mapping(), currency: 'USD', timezone: 'America/New_York' };
