/** UTM parameters a campaign adds to every tracked link (a link's own values win). */
export interface Utm {
  source?: string;
  medium?: string;
  campaign?: string;
  content?: string;
  term?: string;
}

// An <a> start tag's href, quoted either way. Rendered mail is our own MJML/HTML output, so a
// regular expression over start tags is enough: no comments or scripts to confuse it.
const ANCHOR_HREF = /(<a\b[^>]*?\shref\s*=\s*)(["'])(.*?)\2/gis;

/**
 * Rewrites every http(s) link of a rendered message to its tracked URL. Links listed in `keep`
 * (unsubscribe, preferences) stay as they are: an unsubscribe link must work without a redirect.
 * `track(url, index)` gets the original URL (entities decoded, UTM added) and the link's position.
 * @example rewriteLinks(html, { track: (url, i) => `${base}/c/${sign(url, i)}`, keep: new Set([unsubscribeUrl]), utm })
 */
export function rewriteLinks(
  html: string,
  { track, keep, utm }: { track: (url: string, index: number) => string; keep?: ReadonlySet<string>; utm?: Utm },
): { html: string; links: number } {
  let index = 0;
  const out = html.replace(ANCHOR_HREF, (whole, head: string, _quote: string, raw: string) => {
    const url = decodeEntities(raw.trim());
    if (!/^https?:\/\//i.test(url) || keep?.has(url)) return whole;
    const tracked = track(withUtm(url, utm), index++);
    return `${head}"${escapeAttribute(tracked)}"`;
  });
  return { html: out, links: index };
}

/** The URL with UTM parameters added; parameters the link already has are left alone. */
export function withUtm(url: string, utm: Utm | undefined): string {
  if (!utm) return url;
  const entries = Object.entries(utm).filter(([, v]) => v);
  if (entries.length === 0) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  for (const [key, value] of entries) if (!parsed.searchParams.has(`utm_${key}`)) parsed.searchParams.set(`utm_${key}`, value!);
  return parsed.toString();
}

/** Adds the 1×1 open pixel at the end of the body (before </body>, else at the end). */
export function insertOpenPixel(html: string, pixelUrl: string): string {
  const img = `<img src="${escapeAttribute(pixelUrl)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0" />`;
  const close = html.lastIndexOf('</body>');
  return close === -1 ? html + img : html.slice(0, close) + img + html.slice(close);
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|quot|#39|#x27|lt|gt);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'quot' ? '"' : e === 'lt' ? '<' : e === 'gt' ? '>' : "'",
  );
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
