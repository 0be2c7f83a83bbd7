/**
 * How the tests start the `cntlens` command: from the TypeScript sources, through tsx, as
 * `node --import tsx bin/cntlens.ts` (what `npm run dev` does), so they test the code in the tree
 * without a build. The published build (dist/bin/cntlens.js) is tested as users get it, from a
 * packed and installed tarball, in test/package/.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node.js arguments before the command's own; tsx by its resolved URL, so any cwd works. */
export const CLI_ARGS: readonly string[] = ['--import', import.meta.resolve('tsx'), path.join(REPO_ROOT, 'bin', 'cntlens.ts')];
