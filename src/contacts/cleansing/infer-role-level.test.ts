import { describe, expect, it } from 'vitest';
import { inferRoleLevel, ROLE_LEVELS, roleLevelRank } from './infer-role-level.ts';

describe('inferRoleLevel', () => {
  it.each([
    ['代表取締役社長', 'executive'],
    ['取締役 営業本部長', 'executive'],
    ['執行役員 CMO', 'executive'],
    ['常務取締役', 'executive'],
    ['CEO', 'executive'],
    ['Co-Founder & CTO', 'executive'],
    ['President', 'executive'],
    ['Senior Vice President, Sales', 'executive'],
    ['VP Marketing', 'executive'],
    ['Chief Revenue Officer', 'executive'],
    ['Owner', 'executive'],
    ['本部長', 'director'],
    ['営業部 部長', 'director'],
    ['事業部長', 'director'],
    ['副部長', 'director'],
    ['部長代理', 'director'],
    ['Director of Marketing', 'director'],
    ['Head of Growth', 'director'],
    ['課長', 'manager'],
    ['課長代理', 'manager'],
    ['担当課長', 'manager'],
    ['マーケティングマネージャー', 'manager'],
    ['ﾏﾈｰｼﾞｬｰ', 'manager'],
    ['経営企画室長', 'manager'],
    ['大阪支店長', 'manager'],
    ['Senior Manager', 'manager'],
    ['Product Manager', 'manager'],
    ['チーム長', 'manager'],
    ['係長', 'lead'],
    ['主任', 'lead'],
    ['チームリーダー', 'lead'],
    ['チーフ', 'lead'],
    ['Team Lead', 'lead'],
    ['Supervisor', 'lead'],
    ['Senior Engineer', 'lead'],
    ['営業担当', 'staff'],
    ['一般社員', 'staff'],
    ['スタッフ', 'staff'],
    ['Marketing Specialist', 'staff'],
    ['Account Executive', 'staff'],
    ['Data Analyst', 'staff'],
    ['Software Engineer', 'staff'],
  ] as const)('reads %s as %s', (title, level) => {
    expect(inferRoleLevel(title)).toBe(level);
  });

  it('does not read letters inside words as titles', () => {
    expect(inferRoleLevel('Coordinator')).toBe('staff');
    expect(inferRoleLevel('Headhunter')).toBeNull();
    expect(inferRoleLevel('Product Owner')).toBeNull();
  });

  it('returns null for unknown, empty or missing titles', () => {
    expect(inferRoleLevel('顧問')).toBeNull();
    expect(inferRoleLevel('Evangelist')).toBeNull();
    expect(inferRoleLevel('')).toBeNull();
    expect(inferRoleLevel(null)).toBeNull();
  });
});

describe('roleLevelRank', () => {
  it('orders levels from staff to executive', () => {
    expect(ROLE_LEVELS.map(roleLevelRank)).toEqual([0, 1, 2, 3, 4]);
    expect(roleLevelRank('director')).toBeGreaterThan(roleLevelRank('manager'));
  });
});
