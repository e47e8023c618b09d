import { isPortFree } from '../../src/embedded/ports.js';

/** Below Linux's default ephemeral range (32768-60999), whence come the ports of outgoing connections and of `listen(0)`. */
const LOW = 20_000;
const HIGH = 32_000;

/**
 * The first of `count` consecutive ports, free now, for a cluster that takes a base port
 * (`SHOPGRAPH_EMBEDDED_PORT`). Drawn below the ephemeral range: a range within it can be
 * taken by any test's outgoing connection between this check and the cluster's start.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = LOW + Math.floor(Math.random() * (HIGH - LOW - count));
    const ports = Array.from({ length: count }, (_, index) => base + index);
    if ((await Promise.all(ports.map((port) => isPortFree(port)))).every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports between ${LOW} and ${HIGH}`);
}
