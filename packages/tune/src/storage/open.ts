/** Opens a storage from its URL. */
import { StorageError } from '../errors.js';
import type { Storage } from '../types.js';
import { MemoryStorage } from './memory.js';
import { maskUrl } from './codec.js';

/**
 * Opens a storage from a location string.
 *
 * @param location - `'memory'`, `'sqlite'` (= `sqlite:tune.db` in the working directory), `'sqlite:path.db'` (also `sqlite://path.db` or a path ending in
 *   `.db`/`.sqlite`/`.sqlite3`), or `'postgres://user:pass@host:port/db'` (`postgresql://` too).
 * @example
 * ```ts
 * const storage = await openStorage('sqlite:tune.db');
 * ```
 */
export async function openStorage(location: string): Promise<Storage> {
  if (location === 'memory' || location === ':memory:') return new MemoryStorage();
  if (/^postgres(ql)?:\/\//.test(location)) {
    const { PostgresStorage } = await import('./postgres.js');
    return PostgresStorage.connect(location);
  }
  let path: string | null = null;
  if (location === 'sqlite') path = 'tune.db';
  else if (location.startsWith('sqlite://')) path = location.slice('sqlite://'.length);
  else if (location.startsWith('sqlite:')) path = location.slice('sqlite:'.length);
  else if (/\.(db|sqlite3?)$/.test(location)) path = location;
  if (path !== null) {
    if (path === '') throw new StorageError(location, 'no file path after "sqlite:"', 'Write sqlite:path/to/tune.db');
    const { SqliteStorage } = await import('./sqlite.js');
    return new SqliteStorage(path);
  }
  throw new StorageError(
    maskUrl(location),
    'unknown storage kind',
    'Expected "memory", "sqlite:path/to/file.db" or "postgres://user@host:port/database"',
  );
}
