/** The bytes of src/random-kernel.wat, assembled by wabt. */
export function assemble(): Promise<Buffer>;
/** The text of src/random-kernel-wasm.ts for those bytes. */
export function moduleSource(bytes: Buffer): string;
