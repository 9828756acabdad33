import { describe, expect, it } from 'vitest';
import { smsKeyword } from './keywords.ts';

describe('smsKeyword', () => {
  it('STOP and its synonyms, in any case, width or spacing', () => {
    for (const body of [
      'STOP',
      'stop',
      ' Stop. ',
      'ＳＴＯＰ',
      'ｓｔｏｐ！',
      'StopAll',
      'UNSUBSCRIBE',
      'cancel',
      'End',
      'quit',
      'OPTOUT',
      'revoke',
    ])
      expect(smsKeyword(body), body).toMatchObject({ action: 'opt_out' });
    expect(smsKeyword('ＳＴＯＰ')).toEqual({ action: 'opt_out', keyword: 'STOP' });
  });

  it('Japanese opt-out words, full- and half-width', () => {
    expect(smsKeyword('停止')).toEqual({ action: 'opt_out', keyword: '停止' });
    expect(smsKeyword('配信停止。')).toEqual({ action: 'opt_out', keyword: '配信停止' });
    expect(smsKeyword('ストップ')).toEqual({ action: 'opt_out', keyword: 'ストップ' });
    expect(smsKeyword('ｽﾄｯﾌﾟ')).toEqual({ action: 'opt_out', keyword: 'ストップ' });
    expect(smsKeyword('\u3000停止\u3000')).toEqual({ action: 'opt_out', keyword: '停止' });
  });

  it('START, UNSTOP, YES, 再開 opt back in; HELP, INFO, ヘルプ ask for help', () => {
    for (const body of ['START', 'unstop', 'Yes', '再開', 'ＳＴＡＲＴ']) expect(smsKeyword(body), body).toMatchObject({ action: 'opt_in' });
    for (const body of ['HELP', 'help?', 'INFO', 'ヘルプ', 'ﾍﾙﾌﾟ']) expect(smsKeyword(body), body).toMatchObject({ action: 'help' });
  });

  it('a keyword inside a sentence is not a keyword', () => {
    for (const body of ['please stop the sale', 'STOP IT', '停止してください', 'stopp', '', undefined, null])
      expect(smsKeyword(body), String(body)).toBeNull();
  });
});
