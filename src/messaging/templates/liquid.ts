import { filters, Liquid, Tag, type TagToken } from 'liquidjs';

/** HTML we produced ourselves (a rendered block): printed as is where everything else is escaped. */
export class TrustedHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export interface TemplateEngines {
  /** For bodies: every `{{ }}` is HTML-escaped unless its last filter is `raw` (or it is a TrustedHtml). */
  html: Liquid;
  /** For subject, preheader and text parts: plain text, nothing escaped. */
  text: Liquid;
}

/**
 * The Liquid engines of email templates. LiquidJS does not escape by default, so a contact
 * named `<script>` would become script in the mail: the HTML engine escapes every output.
 * No file system: `include`, `render` and `layout` are refused when a template is parsed
 * (and `templates: {}` keeps any other lookup in memory). Unknown filters are parse errors.
 */
export function createTemplateEngines(): TemplateEngines {
  return { html: createEngine(true), text: createEngine(false) };
}

function createEngine(escapeHtml: boolean): Liquid {
  const engine = new Liquid({
    templates: {},
    relativeReference: false,
    dynamicPartials: false,
    strictFilters: true,
    ownPropertyOnly: true,
    outputEscape: escapeHtml ? escapeUnlessTrusted : undefined,
  });
  for (const name of ['include', 'render', 'layout']) engine.registerTag(name, NoPartials);
  // Empty and blank strings are missing too: "Hello {{ contact.firstName | default: 'お客様' }}"
  // never renders "Hello ,".
  engine.registerFilter('default', (value: unknown, fallback: unknown) =>
    value === null || value === undefined || value === false || (typeof value === 'string' && value.trim() === '') ? fallback : value,
  );
  return engine;
}

function escapeUnlessTrusted(this: unknown, value: unknown): string {
  if (value instanceof TrustedHtml) return value.html;
  return (filters.escape as (this: unknown, v: unknown) => string).call(this, value);
}

class NoPartials extends Tag {
  constructor(token: TagToken, remain: ConstructorParameters<typeof Tag>[1], liquid: Liquid) {
    super(token, remain, liquid);
    throw new Error(`{% ${token.name} %} is not available in email templates; use blocks for shared or conditional content`);
  }
  *render(): Generator<never, void> {}
}

/** A Liquid error as "message (line L, column C)", positions relative to the text parsed. */
export function liquidErrorMessage(error: unknown): string {
  const raw = (error as Error).message ?? String(error);
  const match = /^(.*?),? line:(\d+), col:(\d+)/s.exec(raw);
  if (!match) return raw;
  return `${match[1]!.split('\n')[0]} (line ${match[2]}, column ${match[3]})`;
}
