// Preloaded into the Tierdrop CLI by the benchmark (`node --import ./bench/journal-timer.mjs`):
// adds up the wall time spent inside SQLite calls (statements and transactions) and writes it to
// $TIERDROP_BENCH_JOURNAL_STATS as JSON when the process exits. Plain JavaScript so it loads before,
// and independently of, however the CLI itself is loaded (tsx or dist/).
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';

const out = process.env.TIERDROP_BENCH_JOURNAL_STATS;
if (out) {
  let totalNs = 0n;
  let calls = 0;
  let depth = 0; // statements inside a timed transaction are already counted by it
  /** @param {Function} fn */
  const timed = (fn) =>
    function (...args) {
      if (depth > 0) return fn.apply(this, args);
      depth += 1;
      const started = process.hrtime.bigint();
      try {
        return fn.apply(this, args);
      } finally {
        totalNs += process.hrtime.bigint() - started;
        calls += 1;
        depth -= 1;
      }
    };
  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1'));
  for (const name of ['run', 'get', 'all', 'iterate']) statementProto[name] = timed(statementProto[name]);
  const databaseProto = Object.getPrototypeOf(probe);
  for (const name of ['exec', 'pragma']) databaseProto[name] = timed(databaseProto[name]);
  const makeTransaction = databaseProto.transaction;
  databaseProto.transaction = function (fn) {
    const transaction = makeTransaction.call(this, fn);
    const wrapped = timed(transaction);
    for (const kind of ['deferred', 'immediate', 'exclusive']) wrapped[kind] = timed(transaction[kind]);
    return wrapped;
  };
  probe.close();
  process.on('exit', () => {
    writeFileSync(out, JSON.stringify({ journalSeconds: Number(totalNs) / 1e9, calls }));
  });
}
