/**
 * How many SMS segments a text takes, which is what carriers bill and what a max-segments check
 * limits. A text that fits the GSM 03.38 alphabet goes as 7-bit GSM (160 septets, 153 per part
 * once split: the rest of each part is the concatenation header); any other character, and so
 * any Japanese text, turns the whole message into UCS-2 (70 UTF-16 units, 67 per part).
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  /** 0 for an empty text. */
  segments: number;
}

// The GSM 03.38 basic table (ESC excluded: it only introduces the extension table).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
// The extension table: each costs two septets (ESC and the character).
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

/**
 * The encoding and segment count of a message body.
 * @example smsSegments('ご予約ありがとうございます') // { encoding: 'UCS-2', segments: 1 }
 */
export function smsSegments(body: string): SmsSegments {
  const chars = [...body];
  const isGsm = chars.every((ch) => GSM_BASIC.has(ch) || GSM_EXTENDED.has(ch));
  const encoding: SmsEncoding = isGsm ? 'GSM-7' : 'UCS-2';
  // A character's cost: septets in GSM-7, UTF-16 units in UCS-2 (an emoji is a surrogate pair).
  const costs = chars.map((ch) => (isGsm ? (GSM_EXTENDED.has(ch) ? 2 : 1) : ch.length));
  const total = costs.reduce((sum, cost) => sum + cost, 0);
  const { single, part } = LIMITS[encoding];
  if (total === 0) return { encoding, segments: 0 };
  if (total <= single) return { encoding, segments: 1 };
  // Handsets rebuild a character from one part only: an escape pair or a surrogate pair is never
  // split across parts, so a part may end one unit short and the count is packed, not divided.
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > part) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { encoding, segments };
}
