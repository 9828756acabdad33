/**
 * Escapes `& < > " '` as numeric character references: safe in HTML text and attribute values,
 * and in XML (TwiML replies) alike.
 * @example escapeHtml('<b>"A&B"</b>') // '&#60;b&#62;&#34;A&#38;B&#34;&#60;/b&#62;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
