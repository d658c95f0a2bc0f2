import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DataFileError } from '../errors.js';

/** Checks that `file` is a readable regular file; throws {@link DataFileError} otherwise. */
export async function checkFile(file: string, what: string): Promise<number> {
  let size: number;
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = s.size;
  } catch (e) {
    throw new DataFileError(file, what, e);
  }
  return size;
}

/** Streams a file's bytes in chunks (after {@link checkFile}). */
export function readChunks(file: string, highWaterMark = 1 << 20): AsyncIterable<Buffer> {
  return createReadStream(file, { highWaterMark }) as AsyncIterable<Buffer>;
}
