import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import type { ClusterNode, ConnectionManager } from '../../cluster/index.js';
import { KEY_REVOKED_CHANNEL } from '../../db/index.js';
import { safeErrorFields } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import type { KeyCache } from './key-cache.js';

export interface RevocationListenerOptions {
  /** How often the listener checks the primary and its own connection (default 500 ms). */
  checkIntervalMs?: number;
  /** A heartbeat not heard back within this long means the connection is lost (default 3 s). */
  heartbeatTimeoutMs?: number;
  logger?: Logger;
}

interface Listening {
  node: ClusterNode;
  session: Sql;
  /** Whether LISTEN has succeeded (and, after a reconnect by the driver, again). */
  ready: boolean;
  lastHeard: number;
}

/**
 * Hears key revocations: LISTEN on KEY_REVOKED_CHANNEL on the primary, which is where
 * `keys revoke` writes and NOTIFY is sent (a replica cannot LISTEN). It follows the connection
 * manager's primary: when the primary changes, it listens on the new one. It also sends
 * itself a heartbeat on a channel of its own every check, because a connection can die
 * without a word (the driver re-issues LISTEN after a reconnect but gives up after one try),
 * and a heartbeat it does not hear back in time means it is not listening. While it is not,
 * the key cache keeps lookups for the short TTL, as a server without the listener does.
 */
export class RevocationListener {
  private current: Listening | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;
  /** Said once until it works again, not every check. */
  private failing = false;
  private readonly heartbeatChannel = `shopgraph_heartbeat_${randomBytes(8).toString('hex')}`;
  private readonly checkIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly logger: Logger;

  constructor(
    private readonly cluster: ConnectionManager,
    private readonly keys: KeyCache,
    options: RevocationListenerOptions = {},
  ) {
    this.checkIntervalMs = options.checkIntervalMs ?? 500;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 3000;
    this.logger = options.logger ?? silentLogger;
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.checkIntervalMs);
    this.timer.unref();
    void this.check();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
    await this.drop(undefined);
  }

  /** The node it listens on now, if it does. */
  get listeningOn(): string | undefined {
    return this.current?.ready && this.keys.listening ? this.current.node.name : undefined;
  }

  /** One check now; concurrent callers share it. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    if (this.stopped) return;
    const primary = this.cluster.primary;
    const current = this.current;
    if (current && current.node !== primary) await this.drop(primary ? `the primary moved to ${primary.name}` : 'no primary');
    else if (current?.ready && Date.now() - current.lastHeard > this.heartbeatTimeoutMs) await this.drop('its connection went quiet');
    if (!this.current && primary) await this.listen(primary);
    // Not awaited: a primary that stopped answering must not hold up the next check.
    else if (this.current?.ready) void this.current.session.notify(this.heartbeatChannel, '').catch(() => {});
  }

  private async listen(node: ClusterNode): Promise<void> {
    const listening: Listening = { node, session: node.openSession(), ready: false, lastHeard: Date.now() };
    this.current = listening;
    try {
      await listening.session.listen(this.heartbeatChannel, () => (listening.lastHeard = Date.now()));
      await listening.session.listen(
        KEY_REVOKED_CHANNEL,
        (id) => {
          listening.lastHeard = Date.now();
          this.keys.revoked(id);
        },
        // Called after every LISTEN, also when the driver re-issues it after a reconnect:
        // notices may have gone unheard meanwhile, so the cache starts over each time.
        () => {
          if (this.current !== listening) return;
          listening.lastHeard = Date.now();
          this.keys.setListening(true);
          if (!listening.ready) this.logger.info('listening for key revocations', { node: node.name });
          listening.ready = true;
          this.failing = false;
        },
      );
    } catch (error) {
      if (this.current !== listening) return;
      if (!this.failing)
        this.logger.warn('cannot listen for key revocations yet; trying again', { node: node.name, ...safeErrorFields(error) });
      this.failing = true;
      await this.drop(undefined);
    }
  }

  private async drop(reason: string | undefined): Promise<void> {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    if (current.ready) {
      this.keys.setListening(false);
      if (reason)
        this.logger.warn('stopped listening for key revocations: revoked keys work for up to 10 s until it listens again', {
          node: current.node.name,
          reason,
        });
    }
    await current.session.end({ timeout: 0 }).catch(() => {});
  }
}
