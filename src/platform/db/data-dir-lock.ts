import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KizunaError } from '../errors.ts';

/**
 * PGlite is single-process: two processes opening one data folder would corrupt it. A pid file
 * taken with O_EXCL keeps a second `kizuna` command out; a stale file (dead pid) is taken over.
 * @returns a function that releases the lock.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'kizuna.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new KizunaError(
          'conflict',
          `the embedded database in ${dataDir} is in use by process ${owner} (a running kizuna). Stop it first, use the HTTP API, or run on PostgreSQL with DATABASE_URL.`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new KizunaError('conflict', `could not lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
