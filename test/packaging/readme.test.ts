/**
 * The README is what a new user reads first: its table of contents lists every
 * section, and every in-page link (`[…](#anchor)`) lands on a heading.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import test from 'node:test';

const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): { level: number; slug: string }[] {
  const seen = new Map<string, number>();
  const out: { level: number; slug: string }[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = fenced ? null : /^(#{1,6}) (.*)$/.exec(line);
    if (!m) continue;
    const base = m[2]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ level: m[1].length, slug: n ? `${base}-${n}` : base });
  }
  return out;
}

const headings = anchors(readme);
const slugs = new Set(headings.map((h) => h.slug));

test('every in-page link of the README lands on a heading', () => {
  const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(links.length > 20, 'the README has a table of contents');
  const broken = links.filter((l) => !slugs.has(l));
  assert.deepEqual(broken, [], 'links to no heading');
});

test('the table of contents lists every section', () => {
  const toc = readme.slice(readme.indexOf('<!-- toc -->'), readme.indexOf('<!-- /toc -->'));
  assert.ok(toc.length > 0, 'a table of contents between <!-- toc --> markers');
  const listed = new Set([...toc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]));
  const missing = headings.filter((h) => h.level === 2 && !listed.has(h.slug)).map((h) => h.slug);
  assert.deepEqual(missing, [], 'sections missing from the table of contents');
});
