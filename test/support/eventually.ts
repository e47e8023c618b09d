/**
 * Retries an assertion until it passes or the time is up (replication is asynchronous:
 * a replica shows a write a moment after the primary). Rethrows the last failure.
 */
export async function eventually<T>(assertion: () => Promise<T>, { timeoutMs = 10_000, intervalMs = 50 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
