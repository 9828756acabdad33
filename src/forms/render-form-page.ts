import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Form, FormField } from './form-schema.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1f2933}
label{display:block;margin:.9rem 0 .3rem;font-weight:600}input,select,textarea{width:100%;padding:.55rem;border:1px solid #9aa5b1;border-radius:6px;font:inherit;box-sizing:border-box}
.error{color:#b42318;font-size:.9rem}.consent label{font-weight:400;display:flex;gap:.5rem;align-items:flex-start}.consent input{width:auto}
button{margin-top:1.2rem;padding:.7rem 1.4rem;border:0;border-radius:6px;background:#2457c5;color:#fff;font:inherit;cursor:pointer}
.hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}@media (prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}}`;

/** The hosted form page (/f/{id}): plain HTML that works without JavaScript; every value is escaped. */
export function renderFormPage({
  form,
  fields,
  values = {},
  errors = {},
}: {
  form: Form;
  fields: FormField[];
  values?: Record<string, string>;
  errors?: Record<string, string>;
}): Html {
  const definition = form.definition;
  return html`<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${definition.name}</title><style>${STYLE}</style></head>
<body><h1>${definition.name}</h1>
<form method="post" action="/f/${form.id}" novalidate>
${fields.map((field) => renderField(field, values[field.key] ?? '', errors[field.key]))}
<div class="hp" aria-hidden="true"><label for="kz-hp">Leave this empty</label><input id="kz-hp" name="_hp" tabindex="-1" autocomplete="off"></div>
${
  definition.consent
    ? html`<div class="consent"><label><input type="checkbox" name="_consent" value="yes"${values._consent ? ' checked' : ''}> ${definition.consent.wording}</label>${errorLine(errors.consent)}</div>`
    : ''
}
<button type="submit">${definition.submitLabel}</button>
</form></body></html>`;
}

/** The page after a successful submission without a redirect URL. */
export function renderThankYouPage(form: Form, message: string): Html {
  return html`<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${form.definition.name}</title><style>${STYLE}</style></head><body><p role="status">${message}</p></body></html>`;
}

function renderField(field: FormField, value: string, error: string | undefined): Html {
  const id = `kz-${field.key.replace(/\W/g, '-')}`;
  if (field.type === 'hidden') return html`<input type="hidden" name="${field.key}" value="${field.value ?? ''}">`;
  const required = field.required ? ' required' : '';
  const control =
    field.type === 'textarea'
      ? html`<textarea id="${id}" name="${field.key}"${required}>${value}</textarea>`
      : field.type === 'select'
        ? html`<select id="${id}" name="${field.key}"${required}><option value=""></option>${(field.options ?? []).map(
            (option) => html`<option${option === value ? ' selected' : ''}>${option}</option>`,
          )}</select>`
        : html`<input id="${id}" name="${field.key}" type="${field.type}" value="${value}"${required}>`;
  return html`<div><label for="${id}">${field.label}${field.required ? ' *' : ''}</label>${control}${errorLine(error)}</div>`;
}

function errorLine(error: string | undefined): Html | string {
  return error ? html`<p class="error" role="alert">${error}</p>` : '';
}
