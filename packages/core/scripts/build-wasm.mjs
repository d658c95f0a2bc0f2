// Assembles src/random-kernel.wat into src/random-kernel-wasm.ts (the module's bytes, base64), with
// wabt (the WebAssembly Binary Toolkit). Run after editing the .wat: node scripts/build-wasm.mjs
// (src/random-kernel.test.ts fails while the two disagree).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** The .wat file's module as bytes. */
export async function assemble() {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('random-kernel.wat', readFileSync(join(src, 'random-kernel.wat'), 'utf8'));
  try {
    mod.validate();
    return Buffer.from(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** The TypeScript file that carries the bytes. */
export const moduleSource = (bytes) =>
  `// Generated from random-kernel.wat by scripts/build-wasm.mjs: do not edit by hand.\n` +
  `/** The Bernoulli kernel's WebAssembly module (${bytes.length} bytes), base64. */\n` +
  `export const BERNOULLI_WASM = '${bytes.toString('base64')}';\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = join(src, 'random-kernel-wasm.ts');
  writeFileSync(`${out}.tmp`, moduleSource(await assemble()));
  renameSync(`${out}.tmp`, out);
  console.log(`wrote ${out}`);
}
