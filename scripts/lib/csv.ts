// One CSV record (RFC 4180 quoting; lines end in \n like the rest of the CLI's output): a field with a comma, a quote or a line break is quoted, quotes doubled.
export function csvLine(fields: readonly string[]): string {
  return `${fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',')}\n`;
}
