import type { Liquid, Template } from 'liquidjs';
import { ZCompany } from '../../companies/company-schema.ts';
import { ZContact } from '../../contacts/contact-schema.ts';
import type { FieldIssue } from '../../platform/errors.ts';
import { checkCondition, type DefinitionContext } from '../../segments/check-definition.ts';
import { liquidErrorMessage, type TemplateEngines } from './liquid.ts';
import type { TemplateDefinition } from './template.ts';

/** The variables a template may read, with the properties known for each (undefined: any). */
const WORKSPACE_FIELDS = ['name', 'locale', 'timezone'];
export const KNOWN_VARIABLES: Record<string, readonly string[] | undefined> = {
  contact: Object.keys(ZContact.shape),
  company: Object.keys(ZCompany.shape),
  workspace: WORKSPACE_FIELDS,
  unsubscribe_url: [],
  preferences_url: [],
  event: undefined,
  journey: undefined,
  blocks: undefined,
};

type Part = 'subject' | 'preheader' | 'body' | 'text';

/**
 * What is wrong with a template (pure, MJML aside: see compileTemplate): Liquid that does not
 * parse, unknown variables (strict variables, checked when saving rather than per recipient),
 * unknown contact or company properties, blocks that are not declared, block conditions.
 * Each issue names its path and, for Liquid, the line and column in that text.
 */
export function checkTemplate(
  definition: TemplateDefinition,
  context: DefinitionContext,
  engines: TemplateEngines,
  root = 'definition',
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const blockNames = new Set(definition.blocks.map((b) => b.name));
  if (!definition.locales[definition.defaultLocale])
    issues.push({
      path: `${root}.defaultLocale`,
      message: `the default locale ${definition.defaultLocale} has no content; add locales.${definition.defaultLocale} or choose one of: ${Object.keys(definition.locales).join(', ') || '(none)'}`,
    });
  for (const [locale, content] of Object.entries(definition.locales)) {
    for (const part of ['subject', 'preheader', 'body', 'text'] as const) {
      const source = content[part];
      if (source === undefined) continue;
      const engine = part === 'body' ? engines.html : engines.text;
      issues.push(...checkLiquid(engine, source, `${root}.locales.${locale}.${part}`, part === 'body' ? blockNames : undefined, part));
    }
  }
  const seen = new Set<string>();
  definition.blocks.forEach((block, i) => {
    const path = `${root}.blocks.${i}`;
    if (seen.has(block.name)) issues.push({ path: `${path}.name`, message: `block ${block.name} is declared twice` });
    seen.add(block.name);
    block.variants.forEach((variant, j) => {
      issues.push(...checkCondition(variant.condition, context, [path, 'variants', j, 'condition']));
      issues.push(...checkLiquid(engines.html, variant.body, `${path}.variants.${j}.body`, undefined, 'block'));
    });
    issues.push(...checkLiquid(engines.html, block.fallback, `${path}.fallback`, undefined, 'block'));
  });
  return issues;
}

/** What is wrong with one Liquid text: parse errors, unknown variables and properties (each with its line and column). */
export function checkLiquid(
  engine: Liquid,
  source: string,
  path: string,
  blocks: Set<string> | undefined,
  part: Part | 'block',
): FieldIssue[] {
  let templates: Template[];
  try {
    templates = engine.parse(source);
  } catch (error) {
    return [{ path, message: `Liquid: ${liquidErrorMessage(error)}` }];
  }
  const issues: FieldIssue[] = [];
  const at = (message: string, location: { row: number; col: number }) =>
    issues.push({ path, message: `${message} (line ${location.row}, column ${location.col})` });
  for (const variables of Object.values(engine.analyzeSync(templates).globals)) {
    for (const variable of variables) {
      const [rootName, property] = variable.segments;
      const name = String(rootName);
      if (!(name in KNOWN_VARIABLES)) {
        at(`unknown variable ${name}; a template can read ${Object.keys(KNOWN_VARIABLES).join(', ')}`, variable.location);
        continue;
      }
      if (name === 'blocks') {
        if (!blocks) at(`blocks can only be placed in a body (${part} cannot hold one)`, variable.location);
        else if (typeof property === 'string' && !blocks.has(property))
          at(`no block named ${property}; declare it in blocks (declared: ${[...blocks].join(', ') || 'none'})`, variable.location);
        continue;
      }
      const known = KNOWN_VARIABLES[name];
      if (known && typeof property === 'string' && !known.includes(property) && !(known.length === 0 && property === 'size'))
        at(`unknown property ${name}.${property}; ${name} has ${known.join(', ') || 'no properties'}`, variable.location);
    }
  }
  return issues;
}
