// Runs async work over a list with a bounded number in flight, keeping results in order: composes
// of one round and deletes of an upload's pieces go in parallel without flooding the store.

export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const index = next;
      next += 1;
      const item = items[index];
      if (item === undefined) continue;
      try {
        results[index] = await work(item, index);
      } catch (error) {
        failed = true; // stop starting new work; the first failure is the answer
        throw error;
      }
    }
  });
  await Promise.all(workers);
  return results;
}

/** Rejects with `timeout()` when `promise` takes longer than `ms`: for library calls that take no signal. */
export function withDeadline<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), ms);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
