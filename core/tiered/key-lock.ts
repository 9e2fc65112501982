// One-at-a-time sections per key: the operations on one logical object that must not interleave in
// this process (a commit, a cancel of that upload, a delete of the key) run in the order they asked.

export class KeyLock {
  /** Per key, the promise that settles when the last section queued on it has ended. */
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => ended);
    this.tails.set(key, tail);
    try {
      await previous;
      return await section();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
