// The email layout, as Handlebars templates: one HTML template (table layout and inline
// styles, which is what mail clients render reliably) and one plain-text template, both fed
// the same view model (content.ts). Handlebars escapes every {{value}} in the HTML, so a
// partner name from the CRM cannot inject markup; the text template is compiled without
// escaping (it is not HTML). Templates live in this module rather than in files so rendering
// stays pure: no I/O, compiled once. A backslash ending a line inside a template continues the
// line: the string has no line break there.
import Handlebars from 'handlebars';
import type { EmailContent, Tone } from './content.ts';
import type { DigestContent } from './digest.ts';
import { headerText } from './safety.ts';

const hbs = Handlebars.create();

const FONT = `-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif`;

const TONES: Record<Tone, { accent: string; tint: string }> = {
  good: { accent: '#15803d', tint: '#f0fdf4' },
  warn: { accent: '#b45309', tint: '#fffbeb' },
  bad: { accent: '#b91c1c', tint: '#fef2f2' },
  info: { accent: '#1d4ed8', tint: '#eff6ff' },
};

const CHANGE = {
  gain: { mark: '▲', color: '#15803d' },
  loss: { mark: '▼', color: '#b91c1c' },
  same: { mark: '', color: '#374151' },
} as const;

// Shared by both layouts: where the partner stands, the page link, the footer.
const STANDING_TO_END = `<div style="font:700 16px/1.4 {{font}};color:#111827;margin:0 0 8px;">{{standing.title}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font:14px/1.5 {{font}};">
{{#each standing.rows}}
<tr>
<td style="padding:6px 10px;border-bottom:1px solid #f3f4f6;color:#6b7280;">{{label}}</td>
<td align="right" style="padding:6px 10px;border-bottom:1px solid #f3f4f6;color:#111827;font-weight:600;">{{value}}</td>
</tr>
{{/each}}
</table>
</td></tr>
{{#if page}}
<tr><td style="padding:0 32px 24px;font:15px/1.6 {{font}};">
<a href="{{page.url}}" style="display:inline-block;padding:10px 16px;border-radius:6px;background:#1d4ed8;color:#ffffff;\
font-weight:600;text-decoration:none;">{{page.text}}</a>
</td></tr>
{{/if}}
<tr><td style="padding:18px 32px 24px;background:#f9fafb;border-top:1px solid #e5e7eb;font:12px/1.6 {{font}};color:#6b7280;">
{{footer}}<br>
<a href="{{unsubscribe.url}}" style="color:#4b5563;text-decoration:underline;">{{unsubscribe.text}}</a>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{subject}}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">{{preheader}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">
<tr><td align="center" style="padding:32px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" \
style="width:600px;max-width:100%;background:#ffffff;border:1px solid #e5e7eb;border-radius:10px;\
border-collapse:separate;overflow:hidden;">
<tr><td style="background:#111827;padding:18px 32px;font:600 15px/1.4 {{font}};color:#ffffff;\
letter-spacing:0.01em;">{{programName}}</td></tr>
<tr><td style="height:4px;line-height:4px;font-size:0;background:{{tone.accent}};">&nbsp;</td></tr>
<tr><td style="padding:28px 32px 4px;font:15px/1.6 {{font}};color:#374151;">
<div style="font:700 12px/1.4 {{font}};text-transform:uppercase;letter-spacing:0.08em;color:{{tone.accent}};">{{eyebrow}}</div>
<h1 style="margin:6px 0 18px;font:700 24px/1.3 {{font}};color:#111827;">{{headline}}</h1>
<p style="margin:0 0 14px;">{{greeting}}</p>
{{#each intro}}
<p style="margin:0 0 14px;">{{#each this}}{{#if strong}}<strong style="color:#111827;">{{text}}</strong>{{else}}{{text}}{{/if}}{{/each}}</p>
{{/each}}
</td></tr>
{{#if needs}}
<tr><td style="padding:8px 32px 8px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" \
style="background:{{tone.tint}};border-left:4px solid {{tone.accent}};border-radius:6px;">
<tr><td style="padding:16px 20px;font:15px/1.6 {{font}};color:#374151;">
<div style="font:700 16px/1.4 {{font}};color:#111827;margin:0 0 6px;">{{needs.title}}</div>
<p style="margin:0;">{{needs.summary}}</p>
{{#if needs.items}}
<ul style="margin:8px 0 0;padding:0 0 0 20px;">
{{#each needs.items}}
<li style="margin:4px 0;"><strong style="color:#111827;">{{this}}</strong></li>
{{/each}}
</ul>
{{/if}}
</td></tr>
</table>
</td></tr>
{{/if}}
{{#if risks}}
<tr><td style="padding:16px 32px 4px;font:15px/1.6 {{font}};color:#374151;">
<div style="font:700 16px/1.4 {{font}};color:#111827;margin:0 0 8px;">{{risks.title}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
{{#each risks.items}}
<tr>
<td valign="top" style="padding:6px 12px 6px 0;width:130px;white-space:nowrap;">\
<span style="display:inline-block;padding:2px 8px;border-radius:999px;background:{{../tone.tint}};\
color:{{../tone.accent}};font:600 13px/1.6 {{../font}};">{{date}}</span></td>
<td valign="top" style="padding:6px 0;font:15px/1.6 {{../font}};color:#374151;">{{text}}</td>
</tr>
{{/each}}
</table>
</td></tr>
{{/if}}
{{#if benefits}}
<tr><td style="padding:16px 32px 4px;font:15px/1.6 {{font}};color:#374151;">
<div style="font:700 16px/1.4 {{font}};color:#111827;margin:0 0 8px;">{{benefits.title}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font:14px/1.5 {{font}};">
<tr>
<th align="left" style="padding:8px 10px;border-bottom:2px solid #e5e7eb;color:#6b7280;font-weight:600;">Benefit</th>
<th align="right" style="padding:8px 10px;border-bottom:2px solid #e5e7eb;color:#6b7280;font-weight:600;">{{benefits.beforeLabel}}</th>
<th align="right" style="padding:8px 10px;border-bottom:2px solid #e5e7eb;color:#6b7280;font-weight:600;">{{benefits.afterLabel}}</th>
</tr>
{{#each benefits.rows}}
<tr>
<td style="padding:8px 10px;border-bottom:1px solid #f3f4f6;color:#111827;">{{label}}</td>
<td align="right" style="padding:8px 10px;border-bottom:1px solid #f3f4f6;color:#6b7280;">{{before}}</td>
<td align="right" style="padding:8px 10px;border-bottom:1px solid #f3f4f6;color:{{color}};font-weight:700;\
white-space:nowrap;">{{after}}{{#if mark}} <span style="font-size:11px;">{{mark}}</span>{{/if}}</td>
</tr>
{{/each}}
</table>
{{#if benefits.note}}<p style="margin:8px 0 0;font-size:13px;color:#6b7280;">{{benefits.note}}</p>{{/if}}
</td></tr>
{{/if}}
<tr><td style="padding:16px 32px 24px;font:15px/1.6 {{font}};color:#374151;">
${STANDING_TO_END}`;

// The text version of STANDING_TO_END.
const TEXT_STANDING_TO_END = `{{standing.title}}
{{#each standing.rows}}
  - {{label}}: {{value}}
{{/each}}

{{#if page}}
{{page.text}}: {{page.url}}

{{/if}}
--
{{footer}}
{{unsubscribe.text}}: {{unsubscribe.url}}
`;

const TEXT = `{{programName}}
{{eyebrow}}: {{headline}}

{{greeting}}

{{#each intro}}
{{#each this}}{{text}}{{/each}}

{{/each}}
{{#if needs}}
{{needs.title}}
{{needs.summary}}
{{#each needs.items}}
  - {{this}}
{{/each}}

{{/if}}
{{#if risks}}
{{risks.title}}
{{#each risks.items}}
  - {{date}}: {{text}}
{{/each}}

{{/if}}
{{#if benefits}}
{{benefits.title}} ({{benefits.beforeLabel}} -> {{benefits.afterLabel}})
{{#each benefits.rows}}
  - {{label}}: {{before}} -> {{after}}
{{/each}}
{{#if benefits.note}}
{{benefits.note}}
{{/if}}

{{/if}}
${TEXT_STANDING_TO_END}`;

const html = hbs.compile(HTML, { knownHelpersOnly: true });
const text = hbs.compile(TEXT, { knownHelpersOnly: true, noEscape: true });

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export function renderEmail(content: EmailContent): RenderedEmail {
  const context = {
    ...content,
    subject: headerText(content.subject),
    font: FONT,
    tone: TONES[content.tone],
    benefits: content.benefits && {
      ...content.benefits,
      rows: content.benefits.rows.map((row) => ({ ...row, ...CHANGE[row.change] })),
    },
  };
  return { subject: context.subject, html: html(context), text: text(context).replace(/\n{3,}/g, '\n\n') };
}

// The daily digest (digest.ts): the same blocks per section, one standing table, one page link.
const DIGEST_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{subject}}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">{{preheader}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">
<tr><td align="center" style="padding:32px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" \
style="width:600px;max-width:100%;background:#ffffff;border:1px solid #e5e7eb;border-radius:10px;\
border-collapse:separate;overflow:hidden;">
<tr><td style="background:#111827;padding:18px 32px;font:600 15px/1.4 {{font}};color:#ffffff;\
letter-spacing:0.01em;">{{programName}}</td></tr>
<tr><td style="padding:28px 32px 4px;font:15px/1.6 {{font}};color:#374151;">
<h1 style="margin:0 0 18px;font:700 22px/1.3 {{font}};color:#111827;">{{headline}}</h1>
<p style="margin:0 0 6px;">{{greeting}}</p>
</td></tr>
{{#each sections}}
<tr><td style="height:4px;line-height:4px;font-size:0;background:{{tone.accent}};">&nbsp;</td></tr>
<tr><td style="padding:20px 32px 4px;font:15px/1.6 {{font}};color:#374151;">
<div style="font:700 12px/1.4 {{font}};text-transform:uppercase;letter-spacing:0.08em;color:{{tone.accent}};">{{eyebrow}}</div>
<h2 style="margin:6px 0 14px;font:700 20px/1.3 {{font}};color:#111827;">{{headline}}</h2>
{{#each intro}}
<p style="margin:0 0 14px;">{{#each this}}{{#if strong}}<strong style="color:#111827;">{{text}}</strong>{{else}}{{text}}{{/if}}{{/each}}</p>
{{/each}}
{{#if needs}}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" \
style="background:{{tone.tint}};border-left:4px solid {{tone.accent}};border-radius:6px;margin:0 0 14px;">
<tr><td style="padding:16px 20px;font:15px/1.6 {{font}};color:#374151;">
<div style="font:700 16px/1.4 {{font}};color:#111827;margin:0 0 6px;">{{needs.title}}</div>
<p style="margin:0;">{{needs.summary}}</p>
{{#if needs.items}}
<ul style="margin:8px 0 0;padding:0 0 0 20px;">
{{#each needs.items}}
<li style="margin:4px 0;"><strong style="color:#111827;">{{this}}</strong></li>
{{/each}}
</ul>
{{/if}}
</td></tr>
</table>
{{/if}}
{{#if risks}}
<div style="font:700 16px/1.4 {{font}};color:#111827;margin:0 0 8px;">{{risks.title}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 14px;">
{{#each risks.items}}
<tr>
<td valign="top" style="padding:6px 12px 6px 0;width:130px;white-space:nowrap;">\
<span style="display:inline-block;padding:2px 8px;border-radius:999px;background:{{../tone.tint}};\
color:{{../tone.accent}};font:600 13px/1.6 {{../font}};">{{date}}</span></td>
<td valign="top" style="padding:6px 0;font:15px/1.6 {{../font}};color:#374151;">{{text}}</td>
</tr>
{{/each}}
</table>
{{/if}}
{{#if benefits}}
<div style="font:700 16px/1.4 {{font}};color:#111827;margin:0 0 8px;">{{benefits.title}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font:14px/1.5 {{font}};margin:0 0 14px;">
<tr>
<th align="left" style="padding:8px 10px;border-bottom:2px solid #e5e7eb;color:#6b7280;font-weight:600;">Benefit</th>
<th align="right" style="padding:8px 10px;border-bottom:2px solid #e5e7eb;color:#6b7280;font-weight:600;">{{benefits.beforeLabel}}</th>
<th align="right" style="padding:8px 10px;border-bottom:2px solid #e5e7eb;color:#6b7280;font-weight:600;">{{benefits.afterLabel}}</th>
</tr>
{{#each benefits.rows}}
<tr>
<td style="padding:8px 10px;border-bottom:1px solid #f3f4f6;color:#111827;">{{label}}</td>
<td align="right" style="padding:8px 10px;border-bottom:1px solid #f3f4f6;color:#6b7280;">{{before}}</td>
<td align="right" style="padding:8px 10px;border-bottom:1px solid #f3f4f6;color:{{color}};font-weight:700;\
white-space:nowrap;">{{after}}{{#if mark}} <span style="font-size:11px;">{{mark}}</span>{{/if}}</td>
</tr>
{{/each}}
</table>
{{#if benefits.note}}<p style="margin:0 0 14px;font-size:13px;color:#6b7280;">{{benefits.note}}</p>{{/if}}
{{/if}}
<p style="margin:0 0 8px;font-size:12px;"><a href="{{unsubscribe.url}}" style="color:#6b7280;text-decoration:underline;">{{unsubscribe.text}}</a></p>
</td></tr>
{{/each}}
<tr><td style="padding:16px 32px 24px;font:15px/1.6 {{font}};color:#374151;border-top:1px solid #e5e7eb;">
${STANDING_TO_END}`;

const DIGEST_TEXT = `{{programName}}
{{headline}}

{{greeting}}

{{#each sections}}
== {{eyebrow}}: {{headline}} ==

{{#each intro}}
{{#each this}}{{text}}{{/each}}

{{/each}}
{{#if needs}}
{{needs.title}}
{{needs.summary}}
{{#each needs.items}}
  - {{this}}
{{/each}}

{{/if}}
{{#if risks}}
{{risks.title}}
{{#each risks.items}}
  - {{date}}: {{text}}
{{/each}}

{{/if}}
{{#if benefits}}
{{benefits.title}} ({{benefits.beforeLabel}} -> {{benefits.afterLabel}})
{{#each benefits.rows}}
  - {{label}}: {{before}} -> {{after}}
{{/each}}
{{#if benefits.note}}
{{benefits.note}}
{{/if}}

{{/if}}
{{unsubscribe.text}}: {{unsubscribe.url}}

{{/each}}
${TEXT_STANDING_TO_END}`;

const digestHtml = hbs.compile(DIGEST_HTML, { knownHelpersOnly: true });
const digestText = hbs.compile(DIGEST_TEXT, { knownHelpersOnly: true, noEscape: true });

export function renderDigest(content: DigestContent): RenderedEmail {
  const context = {
    ...content,
    subject: headerText(content.subject),
    font: FONT,
    sections: content.sections.map((s) => ({
      ...s,
      font: FONT,
      tone: TONES[s.tone],
      benefits: s.benefits && {
        ...s.benefits,
        rows: s.benefits.rows.map((row) => ({ ...row, ...CHANGE[row.change] })),
      },
    })),
  };
  return {
    subject: context.subject,
    html: digestHtml(context),
    text: digestText(context).replace(/\n{3,}/g, '\n\n'),
  };
}
