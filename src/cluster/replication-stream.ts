import type { Duplex } from 'node:stream';
import type { Sql } from 'postgres';
import { formatLsn, parseLsn, type Lsn } from './lsn.js';

/** One message an output plugin wrote, as the walsender sent it (an XLogData message). */
export interface StreamedMessage {
  /**
   * The position the output plugin reported with it: the one `pg_logical_slot_get_changes`
   * puts in its `lsn` column for the same line (both are the decoding context's write position).
   */
  lsn: Lsn;
  /** What the plugin wrote. */
  data: Buffer;
}

export interface LogicalStreamOptions {
  /** The output plugin and its options, as `START_REPLICATION ... LOGICAL` takes them. */
  plugin: string;
  pluginOptions: Record<string, string>;
  /** Every message of the plugin, in order. */
  onMessage: (message: StreamedMessage) => void;
  /** The walsender has sent everything up to `lsn` (a keepalive or a message). */
  onProgress: (lsn: Lsn) => void;
  /** The stream ended without `close()`: the connection broke, the walsender quit or went silent. */
  onLost: (error: Error) => void;
}

/** The stream broke the protocol, or the walsender stopped answering. */
export class ReplicationStreamError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReplicationStreamError';
  }
}

/**
 * How often the stream reports its position and asks the walsender to answer, in ms. The
 * report lets the walsender release WAL the slot no longer needs (a temporary slot holds it
 * while the session lives) and keeps it from timing out (`wal_sender_timeout`); the answer
 * proves the link alive while no change comes.
 */
const STATUS_INTERVAL_MS = 1000;
/** A walsender that sent nothing for this long, although asked every second, is gone (a cut link). */
const SILENCE_MS = 10_000;
/** How long `close()` waits for the walsender to end the copy and drop the slot before it cuts the connection. */
const CLOSE_WAIT_MS = 2000;
/** Slot, plugin and option names that can go into a replication command as they are. */
const WORD = /^[a-z0-9_-]+$/i;
/** PostgreSQL's epoch (2000-01-01) in Unix ms: protocol timestamps count µs from it. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

/**
 * A logical replication stream on a walsender connection (`replication: 'database'`): a
 * temporary slot, and the copy-both stream of `START_REPLICATION` from the slot's consistent
 * point, pushed by the server as transactions commit. Only the protocol lives here (see
 * https://www.postgresql.org/docs/current/protocol-replication.html): XLogData (`w`) messages
 * go to `onMessage`, primary keepalives (`k`) to `onProgress`, and standby status updates (`r`)
 * go back every second, whenever the walsender asks, and when the position the owner lets it
 * confirm moves on. Which node, what may be confirmed, and what to do after a loss are the
 * caller's: a lost stream is not reopened.
 */
export class LogicalReplicationStream {
  private received: Lsn;
  /** What the owner said may be confirmed to the walsender (see `confirm`). */
  private confirmable = 0n;
  /** The confirmed position last sent to the walsender. */
  private reported = 0n;
  private lastHeard = Date.now();
  private readonly timer: NodeJS.Timeout;
  private closing = false;

  private constructor(
    private readonly session: Sql,
    private readonly slot: string,
    /** The slot's consistent point: the stream holds every transaction that commits after it. */
    readonly startLsn: Lsn,
    private readonly copy: Duplex,
    private readonly options: LogicalStreamOptions,
  ) {
    this.received = startLsn;
    copy.on('data', (chunk: Buffer) => this.receive(chunk));
    copy.on('error', (error: Error) => this.lost(error));
    copy.on('close', () => this.lost(new ReplicationStreamError('the walsender ended the stream')));
    this.timer = setInterval(() => this.tick(), STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Creates the temporary slot `slot` on the walsender connection `session` (which the stream
   * then owns) and starts streaming from it. Slot creation waits for the transactions running
   * on the primary to end, as any logical slot's does.
   */
  static async open(session: Sql, slot: string, options: LogicalStreamOptions): Promise<LogicalReplicationStream> {
    // Replication commands take no parameters: what goes into them is checked to be a plain word.
    for (const word of [slot, options.plugin, ...Object.entries(options.pluginOptions).flat()])
      if (!WORD.test(word)) throw new ReplicationStreamError(`not a plain name for a replication command: ${word}`);
    const [created] = await session.unsafe<{ consistent_point: string }[]>(
      // The spelling before PostgreSQL 15's option list, which 15 and later still take.
      `CREATE_REPLICATION_SLOT ${slot} TEMPORARY LOGICAL ${options.plugin} NOEXPORT_SNAPSHOT`,
    );
    const startLsn = parseLsn(created!.consistent_point);
    const pluginOptions = Object.entries(options.pluginOptions)
      .map(([name, value]) => `"${name}" '${value}'`)
      .join(', ');
    const copy = (await session
      .unsafe(`START_REPLICATION SLOT ${slot} LOGICAL ${formatLsn(startLsn)} (${pluginOptions})`)
      .writable()) as unknown as Duplex;
    return new LogicalReplicationStream(session, slot, startLsn, copy, options);
  }

  /** How far the walsender has sent the WAL: every change committed before it has been heard. */
  get position(): Lsn {
    return this.received;
  }

  /**
   * Lets the stream confirm the WAL up to `lsn` (as far as it has received it), and says so at
   * once when that is further than before. Nothing is confirmed until this is called: the
   * walsender's confirmed position releases WAL from the slot, but it also counts as a
   * standby's flush for synchronous replication (`synchronous_standby_names = '*'` or
   * `ANY n (*)` match any walsender, this one included), so the owner passes only a position a
   * physical replica already has.
   */
  confirm(lsn: Lsn): void {
    if (lsn <= this.confirmable) return;
    this.confirmable = lsn;
    if (this.confirmed > this.reported) this.report(false);
  }

  private get confirmed(): Lsn {
    return this.received < this.confirmable ? this.received : this.confirmable;
  }

  /**
   * Ends the copy, drops the slot and closes the connection, so that the slot is gone when
   * this returns (ending the session alone drops it too, but a moment later, in the server).
   * A walsender that does not answer in time has its connection cut instead.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.timer);
    const graceful = (async () => {
      await new Promise<void>((resolve) => {
        this.copy.once('close', resolve);
        this.copy.end();
      });
      await this.session.unsafe(`DROP_REPLICATION_SLOT ${this.slot}`);
    })();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref());
    await Promise.race([graceful.catch(() => {}), timeout]);
    await this.session.end({ timeout: 0 }).catch(() => {});
  }

  /**
   * A failure here, the caller's included, ends the stream: thrown out of a 'data' listener it
   * would reach postgres.js's socket handler, or no handler at all when the data was buffered.
   */
  private receive(chunk: Buffer): void {
    try {
      this.handle(chunk);
    } catch (error) {
      this.lost(error instanceof Error ? error : new ReplicationStreamError(String(error)));
    }
  }

  private handle(chunk: Buffer): void {
    this.lastHeard = Date.now();
    switch (chunk[0]) {
      case 0x77: {
        // XLogData: Byte1('w') Int64 dataStart, Int64 walEnd, Int64 sendTime, Byte(n) data.
        const lsn = chunk.readBigUInt64BE(1);
        this.options.onMessage({ lsn, data: chunk.subarray(25) });
        this.advance(lsn);
        return;
      }
      case 0x6b: {
        // Primary keepalive: Byte1('k') Int64 walEnd, Int64 sendTime, Byte1 replyRequested.
        // The walsender sends one when it has sent all it has, before it waits: a synchronous
        // commit may be waiting on this stream's confirmation then, so it gets it at once.
        this.advance(chunk.readBigUInt64BE(1));
        if (chunk[17] === 1 || this.confirmed > this.reported) this.report(false);
        return;
      }
      default:
        this.lost(new ReplicationStreamError(`unexpected replication message ${chunk[0]}`));
    }
  }

  private advance(lsn: Lsn): void {
    if (lsn > this.received) this.received = lsn;
    this.options.onProgress(this.received);
  }

  private tick(): void {
    if (Date.now() - this.lastHeard > SILENCE_MS)
      this.lost(new ReplicationStreamError(`the walsender sent nothing for ${SILENCE_MS / 1000} s`));
    else this.report(true);
  }

  /**
   * Standby status update: Byte1('r') Int64 written, flushed, applied, Int64 clientTime,
   * Byte1 replyRequested. All three are the confirmed position: a walsender can wait on any of
   * them for a synchronous commit (`synchronous_commit` remote_write, on, remote_apply).
   */
  private report(askReply: boolean): void {
    if (this.closing) return;
    const confirmed = this.confirmed;
    this.reported = confirmed;
    const message = Buffer.alloc(34);
    message.write('r', 0);
    message.writeBigUInt64BE(confirmed, 1);
    message.writeBigUInt64BE(confirmed, 9);
    message.writeBigUInt64BE(confirmed, 17);
    message.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25);
    message[33] = askReply ? 1 : 0;
    try {
      this.copy.write(message);
    } catch (error) {
      // postgres.js writes to its socket directly, which is gone once the connection closed.
      this.lost(new ReplicationStreamError('the status update could not be sent', { cause: error }));
    }
  }

  private lost(error: Error): void {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.timer);
    void this.session.end({ timeout: 0 }).catch(() => {});
    this.options.onLost(error);
  }
}
