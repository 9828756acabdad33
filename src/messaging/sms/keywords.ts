/**
 * The keywords a person texts back. The whole message must be the keyword (carriers and providers
 * match the same way, so "please stop the sale" is not an opt-out, while "Stop." or "ＳＴＯＰ" is).
 */

export type SmsKeywordAction = 'opt_out' | 'opt_in' | 'help';

const ACTIONS: ReadonlyMap<string, SmsKeywordAction> = new Map([
  ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE', '停止', '配信停止', 'ストップ'].map(
    (k) => [k, 'opt_out'] as const,
  ),
  ...['START', 'UNSTOP', 'YES', '再開', '配信再開'].map((k) => [k, 'opt_in'] as const),
  // INFO is the providers' second HELP keyword.
  ...['HELP', 'INFO', 'ヘルプ'].map((k) => [k, 'help'] as const),
]);

export interface SmsKeyword {
  action: SmsKeywordAction;
  /** The keyword matched, in its canonical form (STOP, 配信停止…). */
  keyword: string;
}

/**
 * The keyword a message body is, if any. NFKC folds full-width Latin (ＳＴＯＰ) and half-width
 * katakana (ｽﾄｯﾌﾟ) into the forms above; case, surrounding spaces and punctuation do not matter.
 * @example smsKeyword(' ｓｔｏｐ。') // { action: 'opt_out', keyword: 'STOP' }
 */
export function smsKeyword(body: string | null | undefined): SmsKeyword | null {
  const keyword = (body ?? '')
    .normalize('NFKC')
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '')
    .toUpperCase();
  const action = ACTIONS.get(keyword);
  return action ? { action, keyword } : null;
}
