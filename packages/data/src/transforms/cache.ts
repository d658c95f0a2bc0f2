import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { deserialize, serialize } from 'node:v8';
import type { DataNode, Reader } from '../types.js';

/**
 * Memory cache: the first *complete* pass stores every element; later passes replay them without
 * touching the source. An interrupted first pass stores nothing.
 */
export function memoryCacheNode<T>(src: DataNode<T>): DataNode<T> {
  let cached: T[] | undefined;
  return {
    length: src.length,
    get openReader() {
      const open = src.openReader;
      if (cached) {
        const c = cached;
        return (): Reader<T> => ({ get: async (i) => c[i]!, close: async () => undefined });
      }
      return open;
    },
    async *iterate(ctx) {
      if (cached) {
        yield* cached;
        return;
      }
      const items: T[] = [];
      for await (const v of src.iterate(ctx)) {
        items.push(v);
        yield v;
      }
      cached = items;
    },
  };
}

/**
 * Disk cache: the first complete pass writes each element (v8 structured serialization, so typed
 * arrays and plain objects survive) as length-prefixed records to `path + '.tmp'`, renamed to
 * `path` at the end; later passes — and later processes — stream the file. An existing file at
 * `path` is used as is.
 */
export function diskCacheNode<T>(src: DataNode<T>, path: string): DataNode<T> {
  return {
    length: src.length,
    async *iterate(ctx) {
      if (await exists(path)) {
        yield* readRecords<T>(path);
        return;
      }
      const tmp = `${path}.${process.pid}.tmp`;
      const out = createWriteStream(tmp);
      let writeError: Error | undefined;
      out.on('error', (e) => (writeError = e));
      let complete = false;
      try {
        for await (const v of src.iterate(ctx)) {
          const body = serialize(v);
          const head = Buffer.allocUnsafe(4);
          head.writeUInt32LE(body.length, 0);
          out.write(head);
          if (!out.write(body)) await once(out, 'drain');
          if (writeError) throw writeError;
          yield v;
        }
        complete = true;
      } finally {
        out.end();
        if (!out.closed) await once(out, 'close');
        if (complete && !writeError) await rename(tmp, path);
        else await rm(tmp, { force: true });
      }
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function* readRecords<T>(path: string): AsyncGenerator<T> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    while (pending.length - off >= 4) {
      const len = pending.readUInt32LE(off);
      if (pending.length - off - 4 < len) break;
      yield deserialize(pending.subarray(off + 4, off + 4 + len)) as T;
      off += 4 + len;
    }
    pending = pending.subarray(off);
  }
}
