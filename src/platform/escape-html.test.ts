import { describe, expect, it } from 'vitest';
import { escapeHtml } from './escape-html.ts';

describe('escapeHtml', () => {
  it('escapes the five characters that can break out of HTML text, attributes or XML, and nothing else', () => {
    expect(escapeHtml(`<a href="x" title='y'>A&B</a> 佐藤`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;A&#38;B&#60;/a&#62; 佐藤');
  });
});
