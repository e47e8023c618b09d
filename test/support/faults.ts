import { resolveBinaries } from '../../src/embedded/binaries.js';
import type { EmbeddedCluster } from '../../src/embedded/index.js';
import { PgCtl } from '../../src/embedded/pg-ctl.js';
import { resolveServerUser } from '../../src/embedded/server-user.js';

/**
 * Promotes a replica the way an operator or an HA tool does, with `pg_ctl promote` alone:
 * no replication slots, no synchronous standby, the other replicas left following whatever
 * they followed, and the embedded cluster's own record of its primary not updated.
 */
export async function plainPromote(cluster: EmbeddedCluster, name: string): Promise<void> {
  const user = resolveServerUser();
  await new PgCtl(await resolveBinaries(user), user).promote(cluster.node(name).dataDir);
}
