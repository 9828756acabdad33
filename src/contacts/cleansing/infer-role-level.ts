/**
 * Seniority from a free-text job title, Japanese or English. Titles often carry the
 * department and several roles (`取締役営業部長`, `Senior Vice President`), so rules run from
 * the highest level down and the first hit wins; within a level, longer forms come first.
 */

/** Seniority levels, ordered low to high. */
export const ROLE_LEVELS = ['staff', 'lead', 'manager', 'director', 'executive'] as const;

export type RoleLevel = (typeof ROLE_LEVELS)[number];

// English words need boundaries (`CTO` not in `director`); Japanese has no spaces, so substrings.
const RULES: ReadonlyArray<readonly [RegExp, RoleLevel]> = [
  [/会長|社長|代表|取締役|専務|常務|執行役員|役員|監査役|理事/u, 'executive'],
  [/\b(?:c(?:e|t|f|o|m|i|r|s|d|p|x)o|ciso|chief|president|founder|co-?founder|vp|svp|evp)\b/u, 'executive'],
  [/\b(?:managing director|executive (?:officer|director)|(?<!product )owner)\b/u, 'executive'],
  [/部長|次長|本部長|事業部長/u, 'director'],
  [/\b(?:director|head|general manager)\b/u, 'director'],
  [/課長|マネージャー|マネジャー|室長|所長|支店長|店長|工場長|センター長|グループ長/u, 'manager'],
  [/\b(?:manager|mgr)\b/u, 'manager'],
  [/係長|班長|主任|主査|リーダー|チーフ/u, 'lead'],
  [/\b(?:lead|leader|supervisor|senior|sr|principal)\b/u, 'lead'],
  [/担当|一般|スタッフ|社員|職員|アシスタント|エンジニア|デザイナー|コンサルタント/u, 'staff'],
  [
    /\b(?:staff|specialist|associate|engineer|developer|designer|analyst|consultant|coordinator|representative|assistant|officer|executive|intern)\b/u,
    'staff',
  ],
  // Any other 〜長 (チーム長, 課長 variants written oddly) heads a unit; checked last so 係長/班長 stay lead.
  [/長/u, 'manager'],
];

/**
 * The seniority a job title implies, or null when the title says nothing recognisable.
 * @example inferRoleLevel('取締役 営業本部長') // 'executive'; inferRoleLevel('課長代理') // 'manager'
 */
export function inferRoleLevel(jobTitle: string | null): RoleLevel | null {
  if (!jobTitle) return null;
  const title = jobTitle.normalize('NFKC').toLowerCase();
  for (const [pattern, level] of RULES) if (pattern.test(title)) return level;
  return null;
}

/** Position of a level in ROLE_LEVELS (staff = 0 … executive = 4), for comparisons. */
export function roleLevelRank(level: RoleLevel): number {
  return ROLE_LEVELS.indexOf(level);
}
