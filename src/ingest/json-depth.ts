/**
 * How deep JSON text nests arrays and objects, measured on the text itself:
 * linear, no recursion, no allocation, and it stops at the first bracket that
 * goes too deep. So a hostile body of a million `[` costs a few dozen
 * character reads instead of seconds of JSON.parse, hundreds of MB of heap,
 * and a stack overflow when the value is serialised again.
 *
 * Brackets inside strings do not count; string contents are skipped with
 * indexOf, which is what keeps this cheap on ordinary event batches (most of
 * their bytes are inside strings). Text that is not valid JSON may be
 * measured wrongly; the parser that runs next refuses it anyway.
 */

const quote = 34; // "
const backslash = 92;
const openArray = 91; // [
const openObject = 123; // {
const closeArray = 93;
const closeObject = 125;

/** True when `text` nests arrays/objects more than `limit` levels deep (`{}` is one level). */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Every level costs at least two characters, so short text cannot be too deep.
  if (text.length < 2 * (limit + 1)) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === quote) {
      i = stringEnd(text, i);
      if (i === -1) return false;
    } else if (c === openArray || c === openObject) {
      if (++depth > limit) return true;
    } else if (c === closeArray || c === closeObject) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote closing the string that opens at `start`, or -1 when it is never closed. */
function stringEnd(text: string, start: number): number {
  let i = start;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i === -1) return -1;
    // The quote is escaped when an odd number of backslashes precede it.
    let k = i - 1;
    while (text.charCodeAt(k) === backslash) k--;
    if ((i - 1 - k) % 2 === 0) return i;
  }
}
