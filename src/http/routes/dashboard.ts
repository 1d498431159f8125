/**
 * The dashboard: GET / and its assets under /dashboard/, all served from the
 * package (uPlot from node_modules), never from a CDN. A fixed list of files
 * read once at start: no path from the URL ever reaches the file system.
 *
 * The page is sent with the strict page Content-Security-Policy of
 * policies/security-headers.ts (scripts, styles and connections from this origin only;
 * no inline code, no eval), so a payload that somehow became markup still
 * could not run.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { dashboardSchema } from '../schemas.js';

const require = createRequire(import.meta.url);
/** Copied next to the compiled code by scripts/copy-assets.mjs (see the build script). */
const own = (name: string) => new URL(`../../dashboard/${name}`, import.meta.url);

const assets = [
  { url: '/', file: own('index.html'), type: 'text/html; charset=utf-8' },
  ...['app.js', 'api.js', 'event-stream.js', 'key-prompt.js', 'rate-chart.js'].map((name) => ({
    url: `/dashboard/${name}`,
    file: own(name),
    type: 'text/javascript; charset=utf-8',
  })),
  { url: '/dashboard/style.css', file: own('style.css'), type: 'text/css; charset=utf-8' },
  {
    url: '/dashboard/uplot.min.js',
    file: require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  {
    url: '/dashboard/uplot.min.css',
    file: require.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
];

async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  for (const asset of assets) {
    const body = await readFile(asset.file);
    const page = asset.url === '/';
    app.get(
      asset.url,
      {
        // The page and its assets carry no data: open, so a browser can load them; the data
        // endpoints they call need the read key (sent by api.js from `#key=`).
        config: { access: 'open' },
        schema: page ? dashboardSchema : { hide: true },
      },
      async (_request, reply) => {
        // Content-Security-Policy, nosniff and the rest come from policies/security-headers.ts (HTML gets the page policy).
        reply.type(asset.type).header('cache-control', 'no-cache');
        return body;
      },
    );
  }
}

export default fp(dashboardRoutes, {
  name: 'aggregator-dashboard',
  fastify: '5.x',
  encapsulate: true,
  // Its pages get the strict page Content-Security-Policy from security headers.
  dependencies: ['aggregator-security-headers', 'aggregator-access', 'aggregator-openapi'],
});
