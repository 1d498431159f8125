// `prepack` / `postpack`: the package ships the tested dependency tree as
// npm-shrinkwrap.json (a copy of package-lock.json), so a production install
// from the tarball gets exactly the versions CI ran, including those pinned by
// package.json "overrides" (which npm applies only in the project that
// declares them). `postpack` removes the copy again.
import { copyFileSync, rmSync } from 'node:fs';

const lock = new URL('../package-lock.json', import.meta.url);
const shrinkwrap = new URL('../npm-shrinkwrap.json', import.meta.url);
if (process.argv[2] === 'remove') rmSync(shrinkwrap, { force: true });
else copyFileSync(lock, shrinkwrap);
