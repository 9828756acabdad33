import type { Command } from 'commander';
import type { ImportOptions } from './import-run.ts';

export function registerImport(program: Command): void {
  program
    .command('import <file>')
    .description('import contacts from a CSV file (UTF-8 or Shift_JIS), cleansing and deduplicating them')
    .option('--workspace <id>', 'workspace id (default: the first workspace)')
    .option('--encoding <encoding>', 'auto, utf-8 or shift_jis', 'auto')
    .option(
      '--map <header=field...>',
      'map a header to a field (or "ignore"), overriding auto-detection, e.g. --map "得意先コード=externalId"',
    )
    .option('--report <file>', 'write the row-by-row report (rejected, warnings, merges, replaced values) as CSV')
    .addHelpText(
      'after',
      `
Recognised headers include: email / メールアドレス, 氏名 / 姓 / 名, フリガナ, 会社名, 電話番号, 携帯, 役職, 部署,
業種, 従業員数, 都道府県, タグ, and custom.<key> for declared custom fields.`,
    )
    .action(async (file: string, options: ImportOptions) => {
      const { runImportCommand } = await import('./import-run.ts');
      await runImportCommand(file, options);
    });
}
