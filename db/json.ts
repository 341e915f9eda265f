// jsonb parameters are passed as JSON text: handed a JS array, pg would encode a
// Postgres array literal instead of JSON, so every jsonb write goes through here.
import type { JsonValue } from './types.ts';

export function toJsonb(value: JsonValue | object): string {
  return JSON.stringify(value);
}
