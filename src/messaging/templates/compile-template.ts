import mjml2html from 'mjml';
import type { FieldIssue } from '../../platform/errors.ts';
import type { CompiledTemplate, TemplateDefinition } from './template.ts';

/** Tells mail clients the message is fine in dark mode, so they do not invert its colours blindly. */
const COLOR_SCHEME_META = '<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">';

export type CompileResult = { compiled: CompiledTemplate; issues: [] } | { compiled?: undefined; issues: FieldIssue[] };

/**
 * Each locale's body as HTML with its Liquid left in: MJML compiled (13–20 ms each, so once per
 * template version, never per recipient), HTML taken as written. MJML errors are issues naming
 * the body's path, line and column; `mj-include` is never followed (no file system).
 */
export async function compileTemplate(definition: TemplateDefinition, root = 'definition'): Promise<CompileResult> {
  const locales: CompiledTemplate['locales'] = {};
  const issues: FieldIssue[] = [];
  for (const [locale, content] of Object.entries(definition.locales)) {
    if (definition.format === 'html') {
      locales[locale] = { html: content.body };
      continue;
    }
    const path = `${root}.locales.${locale}.body`;
    try {
      const result = await mjml2html(content.body, { validationLevel: 'strict', ignoreIncludes: true });
      locales[locale] = { html: withColorScheme(result.html) };
    } catch (error) {
      const errors = (error as { errors?: { line: number; message: string; tagName: string }[] }).errors;
      if (!errors) issues.push({ path, message: `MJML: ${(error as Error).message}` });
      else
        for (const e of errors)
          issues.push({ path, message: `MJML: ${e.message} (line ${e.line}, column ${columnOf(content.body, e.line, e.tagName)})` });
    }
  }
  return issues.length ? { issues } : { compiled: { locales }, issues: [] };
}

/** MJML reports lines only: the column is where the tag opens on that line (1 when not found). */
function columnOf(source: string, line: number, tagName: string): number {
  const text = source.split('\n')[line - 1] ?? '';
  return text.indexOf(`<${tagName}`) + 1 || 1;
}

function withColorScheme(html: string): string {
  const head = html.indexOf('</head>');
  return head === -1 ? html : `${html.slice(0, head)}${COLOR_SCHEME_META}${html.slice(head)}`;
}
