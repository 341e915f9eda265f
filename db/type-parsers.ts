// How PostgreSQL values become JS values. Business days stay 'YYYY-MM-DD' strings
// (a JS Date would shift them by the process time zone), and money, rates and
// 64-bit integers stay exact decimal strings: never a binary float (docs/program.md#numbers).
// Given per pool rather than through pg.types.setTypeParser, so nothing global changes.
import pg from 'pg';

const OID = {
  int8: 20,
  numeric: 1700,
  date: 1082,
  int8Array: 1016,
  numericArray: 1231,
  dateArray: 1182,
  textArray: 1009,
} as const;

const asText = (value: string): string => value;

type Parser = (value: string) => unknown;
// pg-types declares ids as an enum of scalar types; array ids are valid at run time.
type TypeId = Parameters<typeof pg.types.getTypeParser>[0];

function getTypeParser(oid: number, format?: 'text' | 'binary'): Parser {
  switch (oid) {
    case OID.int8:
    case OID.numeric:
    case OID.date:
      return asText;
    case OID.int8Array:
    case OID.numericArray:
    case OID.dateArray:
      // The text[] parser splits the array literal and keeps each element as a string.
      return pg.types.getTypeParser(OID.textArray as TypeId, 'text') as Parser;
    default:
      return pg.types.getTypeParser(oid as TypeId, format ?? 'text') as Parser;
  }
}

/** The `types` option for pg.Pool / pg.Client. */
export const tierlineTypes: pg.CustomTypesConfig = { getTypeParser } as pg.CustomTypesConfig;
