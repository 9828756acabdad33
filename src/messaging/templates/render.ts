import { createHash } from 'node:crypto';
import { compile as compileHtmlToText } from 'html-to-text';
import type { Template } from 'liquidjs';
import type { Company } from '../../companies/company-schema.ts';
import type { Contact } from '../../contacts/contact-schema.ts';
import { escapeHtml } from '../../platform/escape-html.ts';
import type { Condition } from '../../segments/condition.ts';
import { type CompileResult, compileTemplate } from './compile-template.ts';
import { createTemplateEngines, type TemplateEngines, TrustedHtml } from './liquid.ts';
import type { CompiledTemplate, TemplateDefinition } from './template.ts';

/** A template version parsed once and kept: what rendering for one recipient needs, no I/O. */
export interface PreparedTemplate {
  templateId: string;
  /** The published version, or null for a draft. */
  version: number | null;
  definition: TemplateDefinition;
  locales: Map<
    string,
    {
      subject: Template[];
      preheader?: Template[];
      html: Template[];
      /** The author's own text part. */
      text?: Template[];
      /** The text part derived from the HTML once per version, Liquid kept: rendered per recipient instead of converting each message's HTML. */
      textFromHtml?: Template[];
    }
  >;
  /** `text`: each variant and the fallback as text templates, when the locales derive their text part from the HTML. */
  blocks: { name: string; variants: Template[][]; fallback: Template[]; text?: { variants: Template[][]; fallback: Template[] } }[];
  /** Every variant condition of every block, in order: one query answers them all (chooseBlocks). */
  conditions: Condition[];
}

/** Who a message is for, and what the sender adds. */
export interface Recipient {
  contact: Contact;
  company: Company | null;
  workspace: { name: string; locale: string; timezone: string };
  unsubscribeUrl?: string;
  preferencesUrl?: string;
  event?: Record<string, unknown>;
  journey?: Record<string, unknown>;
  /** Block name → index of the variant that holds, -1 (or absent) for the fallback: see chooseBlocks. */
  blockChoice?: Record<string, number>;
}

export interface RenderedMessage {
  locale: string;
  subject: string;
  preheader: string | null;
  html: string;
  text: string;
}

export interface TemplateRenderer {
  /** Each locale's body as HTML (MJML compiled), cached by content: a definition is compiled once. */
  compile(definition: TemplateDefinition): Promise<CompileResult>;
  /** A version (or draft) parsed for rendering, cached under `key` until evicted. */
  prepare(
    key: string,
    templateId: string,
    version: number | null,
    definition: TemplateDefinition,
    compiled: CompiledTemplate,
  ): PreparedTemplate;
  /** The prepared template under `key`, if this process has it. */
  cached(key: string): PreparedTemplate | undefined;
  /**
   * One recipient's message: locale, subject, preheader, HTML and text. Synchronous and free of
   * I/O; a sender prepares once per broadcast and calls this per recipient.
   * @example renderer.render(prepared, { contact, company, workspace, unsubscribeUrl, blockChoice })
   */
  render(prepared: PreparedTemplate, recipient: Recipient, options?: { locale?: string; subject?: Template[] }): RenderedMessage;
  /** The Liquid engines (for checking templates with the same tags and filters as rendering). */
  readonly engines: TemplateEngines;
  /** How many MJML compilations and Liquid parses this renderer has done (tests, metrics). */
  readonly stats: { mjmlCompiles: number; preparations: number };
}

/** The key of a draft in the cache: its content, so an edited draft is prepared again. */
export function draftKey(templateId: string, definition: TemplateDefinition): string {
  return `${templateId}:draft:${contentHash(definition)}`;
}

export function versionKey(templateId: string, version: number): string {
  return `${templateId}:v${version}`;
}

/**
 * The template renderer of a process: one pair of Liquid engines (HTML-escaping for bodies,
 * plain for subject, preheader and text), one html-to-text converter, and bounded caches of
 * compiled MJML and parsed templates, so a broadcast compiles and parses each version once.
 */
export function createTemplateRenderer({ maxEntries = 500 }: { maxEntries?: number } = {}): TemplateRenderer {
  const engines = createTemplateEngines();
  const toText = compileHtmlToText({
    wordwrap: 78,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    ],
  });
  // The same conversion for a template's HTML with its Liquid still in it: no wrapping (a line
  // break could cut a tag in two) and no upper-casing of headings (it would rename variables).
  const templateToText = compileHtmlToText({
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      ...(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'] as const).map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });
  /**
   * The text part of an HTML template as a text template, or undefined when converting it could
   * have changed the Liquid (a `<` inside a tag reads as markup): then each message is converted.
   */
  const deriveText = (html: string): Template[] | undefined => {
    const text = templateToText(html);
    const markers = (t: string) => (t.match(/\{\{|\{%/g) ?? []).length;
    if (markers(text) !== markers(html)) return undefined;
    try {
      return engines.text.parse(text);
    } catch {
      return undefined;
    }
  };
  const compiledCache = new Map<string, Promise<CompileResult>>();
  const prepared = new Map<string, PreparedTemplate>();
  const stats = { mjmlCompiles: 0, preparations: 0 };

  const remember = <T>(cache: Map<string, T>, key: string, value: T): T => {
    cache.delete(key);
    cache.set(key, value);
    // Maps iterate in insertion order: the first key is the least recently used.
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    return value;
  };

  return {
    stats,
    engines,
    compile(definition) {
      const key = contentHash({
        format: definition.format,
        bodies: Object.fromEntries(Object.entries(definition.locales).map(([l, c]) => [l, c.body])),
      });
      const hit = compiledCache.get(key);
      if (hit) return remember(compiledCache, key, hit);
      if (definition.format === 'mjml') stats.mjmlCompiles++;
      const result = compileTemplate(definition);
      // A failed compilation is not kept: the author fixes the template and saves again.
      result.then((r) => r.issues.length && compiledCache.delete(key)).catch(() => compiledCache.delete(key));
      return remember(compiledCache, key, result);
    },
    cached(key) {
      const hit = prepared.get(key);
      return hit && remember(prepared, key, hit);
    },
    prepare(key, templateId, version, definition, compiled) {
      const hit = prepared.get(key);
      if (hit) return remember(prepared, key, hit);
      stats.preparations++;
      // Block text templates first: a locale can only derive its text part when every block can.
      const blockTexts = definition.blocks.map((b) => {
        const variants = b.variants.map((v) => deriveText(v.body));
        const fallback = deriveText(b.fallback);
        return variants.every(Boolean) && fallback ? { variants: variants as Template[][], fallback } : undefined;
      });
      const blocksDerive = blockTexts.every(Boolean);
      const locales: PreparedTemplate['locales'] = new Map();
      for (const [locale, content] of Object.entries(definition.locales)) {
        const html = compiled.locales[locale]?.html;
        if (html === undefined) throw new Error(`template ${templateId} has no compiled HTML for locale ${locale}`);
        locales.set(locale, {
          subject: engines.text.parse(content.subject),
          preheader: content.preheader ? engines.text.parse(content.preheader) : undefined,
          html: engines.html.parse(html),
          text: content.text ? engines.text.parse(content.text) : undefined,
          textFromHtml: content.text || !blocksDerive ? undefined : deriveText(html),
        });
      }
      const blocks = definition.blocks.map((b, i) => ({
        name: b.name,
        variants: b.variants.map((v) => engines.html.parse(v.body)),
        fallback: engines.html.parse(b.fallback),
        text: blockTexts[i],
      }));
      const conditions = definition.blocks.flatMap((b) => b.variants.map((v) => v.condition));
      return remember(prepared, key, { templateId, version, definition, locales, blocks, conditions });
    },
    render(template, recipient, options = {}) {
      const locale = chooseLocale(template, [options.locale, recipient.contact.locale, recipient.workspace.locale]);
      const parts = template.locales.get(locale)!;
      const scope: Record<string, unknown> = {
        contact: recipient.contact,
        company: recipient.company,
        workspace: recipient.workspace,
        unsubscribe_url: recipient.unsubscribeUrl ?? '',
        preferences_url: recipient.preferencesUrl ?? '',
        event: recipient.event ?? {},
        journey: recipient.journey ?? {},
      };
      const blocks: Record<string, TrustedHtml> = {};
      const blockTexts: Record<string, string> = {};
      for (const block of template.blocks) {
        const index = recipient.blockChoice?.[block.name] ?? -1;
        const chosen = block.variants[index] ?? block.fallback;
        // Rendered by the escaping engine: the block's HTML is ours, the contact's data in it is not.
        blocks[block.name] = new TrustedHtml(engines.html.renderSync(chosen, scope) as string);
        if (parts.textFromHtml && block.text)
          blockTexts[block.name] = engines.text.renderSync(block.text.variants[index] ?? block.text.fallback, scope) as string;
      }
      const body = engines.html.renderSync(parts.html, { ...scope, blocks }) as string;
      const oneLine = (t: Template[]) => (engines.text.renderSync(t, scope) as string).replace(/\s+/g, ' ').trim();
      const preheader = parts.preheader ? oneLine(parts.preheader) || null : null;
      return {
        locale,
        // Header values: a line break in a name must never become a new header.
        // An A/B subject variant replaces the template's subject (parsed once by the sender with engines.text).
        subject: oneLine(options.subject ?? parts.subject),
        preheader,
        html: preheader ? withPreheader(body, preheader) : body,
        text: parts.text
          ? (engines.text.renderSync(parts.text, scope) as string)
          : parts.textFromHtml
            ? tidyText(engines.text.renderSync(parts.textFromHtml, { ...scope, blocks: blockTexts }) as string)
            : toText(body),
      };
    },
  };
}

/** Blank lines left by empty values or blocks: at most one in a row, none at the ends. */
function tidyText(text: string): string {
  return text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The first candidate the template has (exactly, or by language: ja-JP → ja), else its default locale. */
export function chooseLocale(
  template: Pick<PreparedTemplate, 'locales' | 'definition'>,
  candidates: (string | null | undefined)[],
): string {
  const available = [...template.locales.keys()];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const exact = available.find((l) => l.toLowerCase() === candidate.toLowerCase());
    if (exact) return exact;
    const language = candidate.split(/[-_]/)[0]!.toLowerCase();
    const byLanguage = available.find((l) => l.split('-')[0]!.toLowerCase() === language);
    if (byLanguage) return byLanguage;
  }
  return template.definition.defaultLocale;
}

/** The preheader as hidden text at the top of the body: clients show it after the subject in the inbox. */
function withPreheader(html: string, preheader: string): string {
  const hidden = `<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;color:transparent">${escapeHtml(preheader)}${'&#8199;&#65279;&#847;'.repeat(40)}</div>`;
  const body = /<body\b[^>]*>/i.exec(html);
  if (!body) return hidden + html;
  const at = body.index + body[0].length;
  return html.slice(0, at) + hidden + html.slice(at);
}

/** A hash of a JSON value independent of key order (jsonb gives keys back in its own order). */
function contentHash(value: unknown): string {
  const sorted = (_: string, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v;
  return createHash('sha256').update(JSON.stringify(value, sorted)).digest('base64url');
}
