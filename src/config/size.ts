/**
 * Byte sizes as people write them: `500MB`, `1.5GiB`, `10 GB`, `1048576`.
 * Decimal units are powers of 1000 and binary ones (KiB, MiB…) powers of
 * 1024, as IEC 80000-13 defines them; a bare number is bytes.
 */
const units: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const sizePattern = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** The size in whole bytes, or undefined when `text` is not a size. */
export function parseSize(text: string): number | undefined {
  const match = sizePattern.exec(text.trim());
  if (match === null) return undefined;
  const unit = units[(match[2] || 'b').toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}
