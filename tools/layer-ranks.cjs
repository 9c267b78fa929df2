/**
 * The rooms of src/, ranked bottom to top (docs/architecture.md). An import may go to the same rank
 * or below. src/tests/ is outside the ranks. Read by .dependency-cruiser.cjs and tools/check-layers.mjs.
 */
const RANKS = [
  ['api'],
  ['formats', 'gpu', 'tokenizer'],
  ['kernels', 'store'],
  ['models', 'backends'],
  ['engine'],
  ['worker'],
  ['lib'],
  ['elements', 'index.ts', 'embed.ts'],
  ['app', 'cli'],
];

module.exports = { RANKS };
