#!/usr/bin/env node
// The `nn-monitor` bin. It is committed (not built) so that `npm ci` can link it before
// `npm run build` has produced dist/; it runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error(
    `nn-monitor: @nn/monitor is not built yet (${cli} does not exist).\n` +
      'Run `npm run build` at the repository root (or `npx turbo run build --filter=@nn/monitor...`), then try again.',
  );
  process.exit(1);
}
await import(pathToFileURL(cli).href);
