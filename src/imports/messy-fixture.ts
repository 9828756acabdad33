/**
 * A contacts CSV as Japanese sales teams really send it, built in code so no binary fixture
 * is committed: full-width and half-width text, one person on several lines, invalid emails,
 * phones in every notation, four spellings of one company, a role inbox and a row that names
 * nobody. Line numbers are file lines (the header is line 1); the tests assert on them.
 */
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';

export const MESSY_HEADERS = [
  '氏名',
  'フリガナ',
  '会社名',
  'メールアドレス',
  '電話番号',
  '役職',
  '部署',
  '業種',
  '従業員数',
  'タグ',
] as const;

type Row = Partial<Record<(typeof MESSY_HEADERS)[number], string>>;

/** Data rows; the first is file line 2. Comments name what each line exercises. */
export const MESSY_ROWS: readonly Row[] = [
  // 2: full-width email, ASCII space in 氏名, 前株 abbreviation, full-width 業種
  {
    氏名: '山田 太郎',
    フリガナ: 'ヤマダ タロウ',
    会社名: '(株)サンプル',
    メールアドレス: 'ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏ．ｊｐ',
    電話番号: '03-1234-5678',
    役職: '営業部長',
    部署: '営業部',
    業種: 'ＩＴ',
    従業員数: '1,200名',
    タグ: '展示会',
  },
  // 3: ideographic space (U+3000) in 氏名, half-width kana, full-width digits in 従業員数
  {
    氏名: '佐藤\u3000花子',
    フリガナ: 'ｻﾄｳ ﾊﾅｺ',
    会社名: '株式会社サンプル',
    メールアドレス: 'Hanako.Sato@example.co.jp',
    電話番号: '090-1234-5678',
    役職: '課長',
    部署: 'マーケティング部',
    業種: 'IT',
    従業員数: '１，２００名',
    タグ: 'ウェビナー',
  },
  // 4: the same person as line 3, adjacent, upper-cased, without a phone
  { 氏名: '佐藤 花子', 会社名: '株式会社サンプル', メールアドレス: 'HANAKO.SATO@EXAMPLE.CO.JP', 役職: '課長', タグ: '展示会' },
  // 5–6: 後株 with a full-width parenthesis, international phone notation, a cell spanning two lines
  {
    氏名: '鈴木 一郎',
    フリガナ: 'ｽｽﾞｷ ｲﾁﾛｳ',
    会社名: 'サンプル（株）',
    メールアドレス: 'ichiro.suzuki@sample.jp',
    電話番号: '+81 90 8765 4321',
    役職: '代表取締役社長',
    部署: '経営企画室\r\n（兼）営業本部',
    従業員数: '1.2万人',
  },
  // 7: a Western name, a Latin legal form, a phone in full-width digits
  {
    氏名: 'John Smith',
    会社名: 'Acme Co., Ltd.',
    メールアドレス: 'john.smith@acme.com',
    電話番号: '０３－９８７６－５４３２',
    役職: 'Senior Engineer',
    部署: 'Engineering',
    従業員数: '50-99',
  },
  // 8: an empty row, as Excel saves one (only commas)
  {},
  // 9–11: invalid emails
  { 氏名: '不正 一', メールアドレス: 'foo@' },
  { 氏名: '不正 二', メールアドレス: 'bar@@x.jp' },
  { 氏名: '不正 三', メールアドレス: 'no-at-sign' },
  // 12: the enclosed ㈱ (CP932 only), an unparseable phone
  { 氏名: '田中 次郎', 会社名: 'サンプル㈱', メールアドレス: 'jiro.tanaka@example.co.jp', 電話番号: '12345', 役職: '主任' },
  // 13: a role inbox
  { 会社名: '株式会社サンプル', メールアドレス: 'info@sample.jp' },
  // 14: neither email nor id
  { 氏名: '高橋 三郎', 会社名: '(株)サンプル', 電話番号: '03-5555-5555' },
  // 15: the same person as line 2, far apart, mixed case, without a title
  { 氏名: '山田 太郎', メールアドレス: 'Taro@Example.co.jp', 電話番号: '03-1234-5678', タグ: '展示会, VIP' },
];

/** The fixture as CSV text (CRLF, as Excel writes it). */
export function messyContactsCsv(rows: readonly Row[] = MESSY_ROWS): string {
  return toCsv(MESSY_HEADERS, rows);
}

/** The fixture encoded as Shift_JIS (CP932), the way Japanese Excel saves "CSV". */
export function messyContactsShiftJis(): Buffer {
  return iconv.encode(messyContactsCsv(), 'cp932');
}

/** CSV text from headers and rows keyed by header (missing cells are empty). */
export function toCsv(headers: readonly string[], rows: readonly Partial<Record<string, string>>[]): string {
  return stringify(
    rows.map((row) => headers.map((h) => row[h] ?? '')),
    { header: true, columns: [...headers], record_delimiter: 'windows' },
  );
}
