// repo: paths in the repository for tests (cmd/ and check/ alike), the same whether a test runs
// from its source (tap through ts-node: `npx tap cmd/x.test.ts`) or compiled under dist/
// (scripts/test.sh runs the whole suite from there, skipping ts-node's start-up in every test
// process).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** findRoot walks up from dir to the directory that holds package.json (dist/ has none). */
function findRoot(dir: string): string {
  if (existsSync(join(dir, 'package.json'))) return dir;
  const up = dirname(dir);
  if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
  return findRoot(up);
}

/** REPO is the repository's root directory. */
export const REPO = findRoot(dirname(fileURLToPath(import.meta.url)));

/** repoPath is a path under the repository's root, e.g. repoPath('docs', 'check-json.md'). */
export const repoPath = (...parts: string[]): string => join(REPO, ...parts);

/** CLI is the built entry point; scripts/test.sh builds it (tsc) before any test runs. */
export const CLI = repoPath('dist', 'cmd', 'csplab.js');
