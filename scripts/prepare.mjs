// `prepare` (npm ci, npm install, npm pack): compile the TypeScript. Skipped
// with a note where there is nothing to compile or nothing to compile it
// with: in a package made by `npm pack` (it ships dist/, not the sources), and
// under `npm ci --omit=dev` (no compiler installed), so neither install fails.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const skip = (why) => {
  console.warn(`prepare: ${why}: skipping the build`);
  process.exit(0);
};
if (!existsSync(new URL('../tsconfig.json', import.meta.url)))
  skip('no sources (a packed package ships dist/)');
try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  skip('TypeScript is not installed (--omit=dev)');
}
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
