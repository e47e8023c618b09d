import type { ConnectionManager } from '../cluster/index.js';
import type { BackupHealth } from '../db/backup/index.js';

/**
 * /readyz: whether this server can serve, for load balancers and orchestrators.
 * - `ready`: a primary takes writes (reads from replicas, or from the primary if none fits);
 * - `read-only`: no primary that takes writes (none answers, or it has no synchronous standby
 *   while one is required), but replicas serve reads (mutations fail with PRIMARY_UNAVAILABLE);
 * - `not-ready`: no node answers; the only state that answers 503.
 * The details (nodes, roles, lag, backups) only when `detailed`: they are for operators.
 */
export function readiness(
  cluster: ConnectionManager,
  backups: BackupHealth | undefined,
  { detailed }: { detailed: boolean },
): { status: number; body: unknown } {
  const { mode, primary, conflict, durability, synchronousStandbys, synchronousRequired, timeline, nodes } = cluster.status();
  const state = mode === 'unavailable' ? 'not-ready' : mode === 'read-only' ? 'read-only' : 'ready';
  const status = state === 'not-ready' ? 503 : 200;
  if (!detailed) return { status, body: { status: state } };
  return {
    status,
    body: {
      status: state,
      mode,
      primary,
      conflict,
      durability,
      synchronousStandbys,
      synchronousRequired,
      timeline,
      nodes: nodes.map(({ name, role, state: circuit, fenced, lagBytes, lagSeconds, ineligible }) => ({
        name,
        role,
        state: circuit,
        fenced,
        lagBytes,
        lagSeconds,
        ineligible,
      })),
      ...(backups
        ? {
            backups: {
              ...backups,
              lastSucceededAt: backups.lastSucceededAt?.toISOString() ?? null,
              lastFailedAt: backups.lastFailedAt?.toISOString() ?? null,
            },
          }
        : {}),
    },
  };
}
