import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionManager } from '../cluster/index.js';
import type { BackupHealth } from '../db/backup/index.js';
import { readiness } from './health.js';
import type { Metrics } from './metrics.js';
import { sendError, sendJson } from './respond.js';

/** What the operator endpoints report on. */
export interface OperatorState {
  cluster: ConnectionManager;
  metrics: Metrics;
  backups: () => BackupHealth | undefined;
}

/** /readyz: the status line, and with `detailed` every node's role, circuit, lag and fencing and the last backup. */
export function sendReadiness(res: ServerResponse, state: OperatorState, detailed: boolean): void {
  const { status, body } = readiness(state.cluster, state.backups(), { detailed });
  sendJson(res, status, body);
}

export async function sendMetrics(res: ServerResponse, metrics: Metrics): Promise<void> {
  res.setHeader('content-type', metrics.registry.contentType);
  res.end(await metrics.registry.metrics());
}

/**
 * The admin listener (SHOPGRAPH_ADMIN_PORT): /healthz, the full /readyz and /metrics, for
 * whoever can reach its port, which the operator keeps to their own network. Node names,
 * roles, lag and operation names are not for anonymous callers of the API's port.
 */
export function createAdminHandler(state: OperatorState) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    switch (req.url?.split('?', 1)[0]) {
      case '/healthz':
        sendJson(res, 200, { status: 'ok' });
        return;
      case '/readyz':
        sendReadiness(res, state, true);
        return;
      case '/metrics':
        await sendMetrics(res, state.metrics);
        return;
      default:
        sendError(res, 404, 'NOT_FOUND', 'Not found. The admin listener serves /healthz, /readyz and /metrics.');
    }
  };
}
