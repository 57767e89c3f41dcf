/**
 * A value created on first use and kept for the execution environment's life (a Lambda cold
 * start, the local runtime's process). A creation that fails (it throws, or its promise rejects)
 * is not kept, so the next call tries again.
 */
export function once<T>(create: () => T): () => T {
  let kept: { readonly value: T } | undefined;
  return () => {
    if (kept) return kept.value;
    const value = create();
    const entry = { value };
    kept = entry;
    if (value instanceof Promise) {
      value.catch(() => {
        if (kept === entry) kept = undefined;
      });
    }
    return value;
  };
}

/** Memoises `create` per key (one object store per bucket, say). */
export function perKey<K, T>(create: (key: K) => T): (key: K) => T {
  const made = new Map<K, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) {
      value = create(key);
      made.set(key, value);
    }
    return value;
  };
}
