import type { ClusterNode } from './node.js';

export type RouteIntent = 'read' | 'write';

/** How a route chooses its node; the connection manager implements it. */
export interface NodeChooser {
  chooseReader(): ClusterNode;
  choosePrimary(): ClusterNode;
}

/**
 * The database handle of one unit of work (one GraphQL operation): every statement it runs
 * goes to the one node chosen on first use, so a response never mixes nodes. Reads go to a
 * replica, writes and the reads that follow them in a mutation to the primary.
 */
export class Route {
  private pinned: ClusterNode | undefined;

  constructor(
    private readonly chooser: NodeChooser,
    readonly intent: RouteIntent,
  ) {}

  /** The node this route's statements went to, if any ran yet. */
  get servedBy(): ClusterNode | undefined {
    return this.pinned;
  }

  async run<T>(work: (node: ClusterNode) => Promise<T>): Promise<T> {
    this.pinned ??= this.intent === 'write' ? this.chooser.choosePrimary() : this.chooser.chooseReader();
    return work(this.pinned);
  }
}
