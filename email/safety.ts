// What may go into an email header. Names and subjects come from the CRM: a CR or LF in
// them would start a new header (Bcc: ...), so every control character becomes a space.
// Addresses are checked, not repaired: an address with anything odd in it is not sent to.

// Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** One line of header text: no CR/LF or other control characters, spaces collapsed, at most `max` characters. */
export function headerText(text: string, max = 200): string {
  const line = text.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

// A deliberately plain addr-spec: dot-atom local part and a dotted domain. Quoted local
// parts, comments and IP literals are legal but never needed for a partner contact.
const ADDRESS =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$/;

/** A contact address normalised for sending and for opt-out lookups (trimmed, lower-case), or undefined when unusable. */
export function normaliseAddress(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const address = raw.trim().toLowerCase();
  if (address.length > 254 || !ADDRESS.test(address)) return undefined;
  return address;
}
