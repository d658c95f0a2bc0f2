#!/usr/bin/env node
// Release check: runs `changeset version` on a scratch copy of the workspace manifests and the
// pending changesets, and fails if any published package would leave 0.x (a peer dependency on
// @nn/core pinned to exactly 0.0.0 once made every package 1.0.0). Also checks that a lone minor
// changeset on @nn/core gives core 0.1.0-style minor bumps, not majors, to it and its dependents.
// Run: node scripts/check-release-versions.mjs   (part of the root `npm test`)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = createRequire(join(root, 'package.json')).resolve('@changesets/cli/bin.js');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const workspaces = rootPkg.workspaces.flatMap((w) =>
  w.endsWith('/*') ? readdirSync(join(root, w.slice(0, -2)), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${w.slice(0, -2)}/${d.name}`) : [w],
).filter((w) => { try { readFileSync(join(root, w, 'package.json')); return true; } catch { return false; } });

/** Versions after `changeset version` on a scratch copy, with `extra` changesets added (name → body). */
function versionRun(extra, keepPending) {
  const dir = mkdtempSync(join(tmpdir(), 'nn-release-check-'));
  try {
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    for (const w of workspaces) {
      mkdirSync(join(dir, w), { recursive: true });
      cpSync(join(root, w, 'package.json'), join(dir, w, 'package.json'));
    }
    mkdirSync(join(dir, '.changeset'));
    for (const f of readdirSync(join(root, '.changeset'))) {
      if (f === 'config.json' || (keepPending && f.endsWith('.md') && f !== 'README.md')) cpSync(join(root, '.changeset', f), join(dir, '.changeset', f));
    }
    for (const [name, body] of Object.entries(extra)) writeFileSync(join(dir, '.changeset', `${name}.md`), body);
    const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.email=ci@localhost', '-c', 'user.name=ci', 'commit', '-qm', 'scratch');
    execFileSync(process.execPath, [cli, 'version'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    return Object.fromEntries(workspaces.map((w) => JSON.parse(readFileSync(join(dir, w, 'package.json'), 'utf8'))).filter((p) => !p.private).map((p) => [p.name, p.version]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const before = Object.fromEntries(workspaces.map((w) => JSON.parse(readFileSync(join(root, w, 'package.json'), 'utf8'))).filter((p) => !p.private).map((p) => [p.name, p.version]));
const major = (v) => Number(v.split('.')[0]);
const problems = [];

// 1. The pending changesets: nothing leaves 0.x.
const pending = versionRun({}, true);
for (const [name, v] of Object.entries(pending)) if (major(v) > major(before[name])) problems.push(`pending changesets: ${name} ${before[name]} → ${v} (a major bump)`);

// 2. A lone minor changeset on @nn/core: core gets a minor bump, no package a major one.
const probe = versionRun({ 'zz-release-probe': '---\n"@nn/core": minor\n---\n\nprobe\n' }, false);
const [ma, mi] = before['@nn/core'].split('.').map(Number);
if (probe['@nn/core'] !== `${ma}.${mi + 1}.0`) problems.push(`minor changeset on @nn/core: core ${before['@nn/core']} → ${probe['@nn/core']}, expected ${ma}.${mi + 1}.0`);
for (const [name, v] of Object.entries(probe)) if (major(v) > major(before[name])) problems.push(`minor changeset on @nn/core: ${name} ${before[name]} → ${v} (a major bump)`);

console.log(`pending changesets → ${JSON.stringify(pending)}`);
console.log(`@nn/core minor only → ${JSON.stringify(probe)}`);
if (problems.length) {
  console.error(`release check failed:\n  ${problems.join('\n  ')}\nPeer dependencies on @nn/core must be a range that the next 0.x versions satisfy (">=0.0.0 <1.0.0"), with onlyUpdatePeerDependentsWhenOutOfRange in .changeset/config.json.`);
  process.exit(1);
}
console.log('release check: ok (no package leaves 0.x)');
