import { caniemail } from 'caniemail';

type EmailClient = Parameters<typeof caniemail>[0]['clients'][number];

import type { TemplateDefinition, TemplateWarning } from './template.ts';

/** The clients most of our recipients read mail in: Gmail, Outlook and Apple Mail. */
const MAJOR_CLIENTS: EmailClient[] = [
  'gmail.desktop-webmail',
  'gmail.ios',
  'gmail.android',
  'outlook.windows',
  'outlook.outlook-com',
  'outlook.macos',
  'apple-mail.macos',
  'apple-mail.ios',
];

/**
 * Features every responsive email relies on, with fallbacks: what caniemail reports for MJML's
 * own output of a one-line template. Reporting them would bury the findings that matter.
 */
const EXPECTED_FEATURES = new Set([
  'Descendant combinator',
  'ID selector',
  'Type selector',
  '@import',
  '@media',
  'Chaining selectors',
  'Class selector',
  '<style> element',
  '<link> element',
  'outline',
  'word-spacing',
  'role attribute',
  'word-break',
  '<body> element',
]);

const UNSUBSCRIBE_LINK = /href\s*=\s*["']?\s*\{\{-?\s*unsubscribe_url\b/;

/**
 * Warnings (never errors) about a template: HTML and CSS features a major client does not support
 * at all (caniemail's offline data, checked on what the author wrote: for MJML the HTML inside
 * its tags and the CSS of `mj-style`), and marketing mail without a link to `{{ unsubscribe_url }}`.
 */
export function lintTemplate(definition: TemplateDefinition, root = 'definition'): TemplateWarning[] {
  const warnings: TemplateWarning[] = [];
  for (const [locale, content] of Object.entries(definition.locales)) {
    const path = `${root}.locales.${locale}.body`;
    if (definition.kind === 'marketing' && !UNSUBSCRIBE_LINK.test(content.body))
      warnings.push({
        code: 'no_unsubscribe_link',
        path,
        message: 'marketing mail needs a link to {{ unsubscribe_url }} (e.g. <a href="{{ unsubscribe_url }}">配信停止</a>)',
      });
    const html = definition.format === 'mjml' ? authoredHtml(content.body) : content.body;
    warnings.push(...unsupportedFeatures(html, path));
  }
  definition.blocks.forEach((block, i) => {
    block.variants.forEach((variant, j) => {
      warnings.push(...unsupportedFeatures(variant.body, `${root}.blocks.${i}.variants.${j}.body`));
    });
    warnings.push(...unsupportedFeatures(block.fallback, `${root}.blocks.${i}.fallback`));
  });
  return warnings;
}

function unsupportedFeatures(html: string, path: string): TemplateWarning[] {
  if (!html.trim()) return [];
  const byFeature = new Map<string, { clients: string[]; where: string }>();
  for (const [client, issues] of caniemail({ clients: MAJOR_CLIENTS, html }).issues.errors) {
    for (const issue of issues) {
      if (EXPECTED_FEATURES.has(issue.title)) continue;
      const entry = byFeature.get(issue.title) ?? { clients: [], where: whereOf(issue.position) };
      if (!entry.clients.includes(client)) entry.clients.push(client);
      byFeature.set(issue.title, entry);
    }
  }
  return [...byFeature].map(([feature, { clients, where }]) => ({
    code: 'unsupported_feature' as const,
    path,
    message: `${feature} is not supported by ${clients.join(', ')}${where}`,
  }));
}

/** caniemail places CSS of a style element within that stylesheet (it gives a `source` then), inline styles at their element. */
function whereOf(position: { start: { line: number; column: number }; source?: string } | undefined): string {
  if (!position) return '';
  const at = `line ${position.start.line}, column ${position.start.column}`;
  return position.source === undefined ? ` (${at})` : ` (in a style sheet: ${at})`;
}

/**
 * The HTML an author wrote inside an MJML document, at the same lines and columns: `mj-style`
 * becomes `style`, every other MJML tag is blanked out (MJML's own output is checked by MJML).
 */
function authoredHtml(mjml: string): string {
  return mjml
    .replace(/<(\/?)mj-style\b/g, (_, slash: string) => `<${slash}style   `)
    .replace(/<\/?mj(?:ml|-[a-z-]+)\b[^>]*>/g, (tag) => tag.replace(/[^\n]/g, ' '));
}
