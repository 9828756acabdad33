import type { Bilingual } from './journey-template.ts';

/** One locale's copy of a seed email: short paragraphs (HTML and Liquid allowed) and one call to action. */
export interface EmailCopy {
  subject: string;
  preheader: string;
  heading: string;
  paragraphs: string[];
  cta?: { label: string; url: string };
}

/** A seed email in Japanese and English; marketing mail gets the unsubscribe and preferences links. */
export interface EmailSpec {
  name: Bilingual;
  kind: 'marketing' | 'transactional';
  ja: EmailCopy;
  en: EmailCopy;
}

const GREETING: Bilingual = {
  ja: '{% if contact.lastName %}{{ contact.lastName }} 様{% else %}お客様{% endif %}',
  en: 'Hi {{ contact.firstName | default: "there" }},',
};

// Marketing mail must let people leave (特定電子メール法, CAN-SPAM) and choose how often (seed 004, re-engagement).
const FOOTER = {
  marketing: {
    ja: '{{ workspace.name }} からのお知らせです。<a href="{{ preferences_url }}">配信頻度の変更</a> ・ <a href="{{ unsubscribe_url }}">配信停止</a>',
    en: 'News from {{ workspace.name }}. <a href="{{ preferences_url }}">Email preferences</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a>',
  },
  transactional: {
    ja: 'このメールはお申し込みいただいた方にお送りしています。{{ workspace.name }}',
    en: 'You receive this email because you signed up. {{ workspace.name }}',
  },
} as const;

/**
 * The template document (MJML, ja default, en too) of a seed email, for the templates module.
 * @example emailTemplateDefinition(WELCOME_DAY_0) // { kind, format: 'mjml', defaultLocale: 'ja', locales: { ja, en } }
 */
export function emailTemplateDefinition(spec: EmailSpec, defaultLocale: 'ja' | 'en' = 'ja') {
  const locale = (lang: 'ja' | 'en') => {
    const copy = spec[lang];
    return { subject: copy.subject, preheader: copy.preheader, body: mjml(copy, GREETING[lang], FOOTER[spec.kind][lang]) };
  };
  return { kind: spec.kind, format: 'mjml' as const, defaultLocale, locales: { ja: locale('ja'), en: locale('en') } };
}

function mjml(copy: EmailCopy, greeting: string, footer: string): string {
  const text = (html: string) => `      <mj-text>${html}</mj-text>`;
  return [
    '<mjml>',
    '  <mj-head><mj-attributes><mj-all font-family="Helvetica, Arial, \'Hiragino Sans\', Meiryo, sans-serif" /><mj-text font-size="15px" line-height="1.7" color="#27272a" /></mj-attributes></mj-head>',
    '  <mj-body background-color="#f4f4f5">',
    '    <mj-section background-color="#ffffff" padding="24px 16px"><mj-column>',
    `      <mj-text font-size="20px" font-weight="bold">${copy.heading}</mj-text>`,
    text(greeting),
    ...copy.paragraphs.map(text),
    ...(copy.cta ? [`      <mj-button href="${copy.cta.url}" background-color="#2563eb">${copy.cta.label}</mj-button>`] : []),
    '    </mj-column></mj-section>',
    `    <mj-section padding="12px 16px"><mj-column><mj-text font-size="12px" color="#71717a">${footer}</mj-text></mj-column></mj-section>`,
    '  </mj-body>',
    '</mjml>',
  ].join('\n');
}

/**
 * A URL from an option, ready for an href in a template body: normalised by the URL parser
 * (quotes and spaces percent-encoded), braces encoded so it cannot open a Liquid tag, & escaped.
 */
export function hrefOf(url: string): string {
  return new URL(url).href.replaceAll('{', '%7B').replaceAll('}', '%7D').replaceAll("'", '%27').replaceAll('&', '&amp;');
}
