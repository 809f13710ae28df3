// Flow-recovery back-off of RFC 5626 §4.5: after `failures` consecutive failed attempts
// (counting the one just seen, so >= 1),
//   wait-time = min(max-time, base-time * 2^failures), then a uniform random 50-100 % of it,
// with base-time 30 s when no flow works and 90 s when some flow still works, max-time 1800 s.
// The bases come from /wic-config.json so tests can shrink them.

/**
 * @param {number} failures consecutive failures so far (>= 1)
 * @param {{allFailed: boolean, baseAllFailed?: number, baseSomeFailed?: number, cap?: number}} opts
 * @param {() => number} random uniform in [0, 1)
 * @returns {number} seconds to wait before the next attempt
 */
export function flowRecoveryDelay(failures, opts, random = Math.random) {
  const baseAllFailed = opts.baseAllFailed ?? 30;
  const baseSomeFailed = opts.baseSomeFailed ?? 90;
  const cap = opts.cap ?? 1800;
  const base = opts.allFailed ? baseAllFailed : baseSomeFailed;
  const n = Math.max(1, failures);
  // 2^n overflows nothing here: the cap is reached long before n gets large.
  const upper = Math.min(cap, base * Math.pow(2, Math.min(n, 30)));
  return upper * (0.5 + 0.5 * random());
}
