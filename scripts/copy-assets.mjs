// Build step: copies the dashboard's static files next to the compiled code
// (dist/src/dashboard), where src/http/routes/dashboard.ts serves them from.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/dashboard/', import.meta.url), new URL('../dist/src/dashboard/', import.meta.url), {
  recursive: true,
});
