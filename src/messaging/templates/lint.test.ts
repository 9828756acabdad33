import { describe, expect, it } from 'vitest';
import { lintTemplate } from './lint.ts';
import { ZTemplateDefinition } from './template.ts';

const template = (body: string, overrides: Record<string, unknown> = {}) =>
  ZTemplateDefinition.parse({ format: 'html', defaultLocale: 'ja', locales: { ja: { subject: 's', body } }, ...overrides });

describe('template lint', () => {
  it('warns when marketing mail has no link to {{ unsubscribe_url }} (transactional mail need not)', () => {
    const body = '<p>こんにちは</p><a href="https://example.com">詳細</a>';
    expect(lintTemplate(template(body))).toEqual([
      { code: 'no_unsubscribe_link', path: 'definition.locales.ja.body', message: expect.stringContaining('{{ unsubscribe_url }}') },
    ]);
    expect(lintTemplate(template(body, { kind: 'transactional' }))).toEqual([]);
    expect(lintTemplate(template(`${body}<a href="{{ unsubscribe_url }}">配信停止</a>`))).toEqual([]);
  });

  it('warns about CSS major clients do not support, naming them and the line and column', () => {
    const body = '<a href="{{unsubscribe_url}}">配信停止</a>\n<div style="position: fixed; top: 0">バナー</div>';
    const warnings = lintTemplate(template(body));
    expect(warnings).toContainEqual({
      code: 'unsupported_feature',
      path: 'definition.locales.ja.body',
      message: expect.stringMatching(/^position is not supported by .*gmail\.desktop-webmail.*outlook\.windows.* \(line 2, column 1\)$/),
    });
    expect(warnings.every((w) => w.code === 'unsupported_feature')).toBe(true);
  });

  it('checks what the author wrote in MJML (mj-style CSS, HTML in mj-text), not MJML’s own output', () => {
    const body = `<mjml>
  <mj-head><mj-style>.banner { position: fixed; }</mj-style></mj-head>
  <mj-body><mj-section><mj-column>
    <mj-text>本文 <a href="{{ unsubscribe_url }}">配信停止</a></mj-text>
  </mj-column></mj-section></mj-body>
</mjml>`;
    const messages = lintTemplate(template(body, { format: 'mjml' })).map((w) => w.message);
    expect(messages).toEqual([expect.stringMatching(/^position is not supported by .* \(in a style sheet: line 1, column 11\)$/)]);
    expect(lintTemplate(template(body.replace('position: fixed', 'color: red'), { format: 'mjml' }))).toEqual([]);
  });
});
