/** The Bloom filter in front of the on-disk dedup table: never a false "no", rarely a false "maybe". */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash53 } from '../../src/domain/fingerprint.js';
import { KeyFilter } from '../../src/store/sqlite/key-filter.js';

test('every added key is reported; few others are, as it grows past its first capacity', () => {
  const filter = new KeyFilter(10_000); // small first layer: 200k keys force several layers
  const keys = Array.from({ length: 200_000 }, (_, i) => hash53(`k${i}`));
  for (const k of keys) filter.add(k);
  assert.ok(
    keys.every((k) => filter.mightContain(k)),
    'no false negatives',
  );
  let falsePositives = 0;
  for (let i = 0; i < 100_000; i++) if (filter.mightContain(hash53(`other${i}`))) falsePositives++;
  // ~0.8 % per layer, 5 layers here; anything near that means the filter does its job.
  assert.ok(falsePositives < 6_000, `${falsePositives} false positives in 100,000`);
  assert.equal(filter.size, 200_000);
  assert.ok(filter.bytes < 200_000 * 3, `${filter.bytes} bytes for 200k keys`);
});
