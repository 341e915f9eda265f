// Salesforce Outbound Messages: the SOAP `notifications` request of the Outbound Message WSDL
// (http://soap.sforce.com/2005/09/outbound), up to 100 Notifications each carrying one
// Opportunity sObject. Parsed by fast-xml-parser with entity expansion off; a DTD is refused
// outright (SOAP 1.1 forbids one), so no entity can be declared, let alone expanded.
import { XMLParser } from 'fast-xml-parser';
import { errorMessage } from '../../lib/errors.ts';
import { convertOpportunity, type Fields } from './opportunity.ts';
import type { ConvertContext, Outcome } from './outcome.ts';

export const MAX_NOTIFICATIONS = 100;

export interface OutboundMessage {
  organizationId: string;
  actionId: string | undefined;
  notifications: Array<{ id: string; fields: Fields }>;
}

export type OutboundParse = { ok: true; value: OutboundMessage } | { ok: false; reason: string };

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => name === 'Notification',
});

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

// The five XML entities, decoded by hand since the parser's entity processing is off.
const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return XML_ENTITIES[name] ?? whole;
  });
}

/** A leaf's text; `xsi:nil="true"` and empty elements are absent. */
function leafText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : decodeText(value);
  if (isNode(value)) {
    if (value['@_nil'] === 'true') return undefined;
    const text = value['#text'];
    return typeof text === 'string' && text !== '' ? decodeText(text) : undefined;
  }
  return undefined;
}

export function parseOutboundMessage(xml: string): OutboundParse {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { ok: false, reason: 'a DTD or entity declaration is not allowed' };
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch (error) {
    return { ok: false, reason: `not well-formed XML: ${errorMessage(error)}` };
  }
  const body = isNode(doc) && isNode(doc.Envelope) ? doc.Envelope.Body : undefined;
  const notifications = isNode(body) ? body.notifications : undefined;
  if (!isNode(notifications))
    return { ok: false, reason: 'not a SOAP Outbound Message (no Envelope/Body/notifications)' };
  const organizationId = leafText(notifications.OrganizationId);
  if (!organizationId) return { ok: false, reason: 'the Outbound Message has no OrganizationId' };
  const list = Array.isArray(notifications.Notification) ? (notifications.Notification as unknown[]) : [];
  if (list.length === 0) return { ok: false, reason: 'the Outbound Message has no Notification' };
  if (list.length > MAX_NOTIFICATIONS)
    return {
      ok: false,
      reason: `${list.length} Notifications, over the ${MAX_NOTIFICATIONS} Salesforce sends at most`,
    };
  const parsed: OutboundMessage['notifications'] = [];
  for (const [index, n] of list.entries()) {
    const sObject = isNode(n) ? n.sObject : undefined;
    if (!isNode(n) || !isNode(sObject)) return { ok: false, reason: `Notification ${index + 1} has no sObject` };
    const fields: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(sObject)) if (!key.startsWith('@_')) fields[key] = leafText(value);
    parsed.push({ id: leafText(n.Id) ?? `#${index + 1}`, fields });
  }
  return { ok: true, value: { organizationId, actionId: leafText(notifications.ActionId), notifications: parsed } };
}

/** Each Notification's Opportunity as an outcome; the ref is the Notification id. */
export function convertOutboundMessage(message: OutboundMessage, ctx: ConvertContext): Outcome[] {
  return message.notifications.map((n) => convertOpportunity(n.fields, ctx, `Notification ${n.id}`));
}

/** The SOAP acknowledgement Salesforce waits for; anything else makes it redeliver. */
export const OUTBOUND_ACK = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Body>
    <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
      <Ack>true</Ack>
    </notificationsResponse>
  </soapenv:Body>
</soapenv:Envelope>
`;
