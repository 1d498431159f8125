/**
 * The dashboard: GET / and its assets under /dashboard/, all served from the
 * package (uPlot from node_modules), never from a CDN. A fixed list of files
 * read once at start: no path from the URL ever reaches the file system.
 *
 * The page is sent with a strict Content-Security-Policy (scripts, styles
 * and connections from this origin only; no inline code, no eval), so a
 * payload that somehow became markup still could not run.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);
/** Copied next to the compiled code by scripts/copy-assets.mjs (see the build script). */
const own = (name: string) => new URL(`../../dashboard/${name}`, import.meta.url);

const assets = [
  { url: '/', file: own('index.html'), type: 'text/html; charset=utf-8' },
  ...['app.js', 'api.js', 'event-stream.js', 'rate-chart.js'].map((name) => ({
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

export const dashboardCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  for (const asset of assets) {
    const body = await readFile(asset.file);
    const page = asset.url === '/';
    app.get(
      asset.url,
      {
        schema: page
          ? {
              summary: 'Dashboard (HTML)',
              description: 'Live counters, rates, topics and the newest events.',
              tags: ['ui'],
              response: {
                200: { description: 'the dashboard page', content: { 'text/html': { schema: {} } } },
              },
            }
          : { hide: true },
      },
      async (_request, reply) => {
        reply
          .type(asset.type)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'no-cache');
        if (page)
          reply.header('content-security-policy', dashboardCsp).header('referrer-policy', 'no-referrer');
        return body;
      },
    );
  }
}
