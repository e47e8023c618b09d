import { seededRandom, type Random } from './random.js';

/**
 * Fault schedules for the chaos run, drawn from a seed out of a catalogue of faults, one or
 * two at a time. Nodes are named by the role they had when the schedule began (`P` the
 * primary, `R1` and `R2` the replicas) or by what the schedule made of them (`NEW` the node
 * its promotion chose), and resolved to pg1..pg3 only when the schedule runs.
 */
export type NodeRef = 'P' | 'R1' | 'R2' | 'NEW';

export type LinkFault = { kind: 'drop' } | { kind: 'blackhole' } | { kind: 'delay'; ms: number };

export type Step =
  /** SIGKILL of every process of the node. */
  | { at: number; action: 'kill'; node: NodeRef }
  /** Start a stopped node: rebuilt as a replica when it has to be, or `asIs` (an old primary as it was). */
  | { at: number; action: 'start'; node: NodeRef; asIs: boolean }
  /** SIGSTOP / SIGCONT of every process of the node. */
  | { at: number; action: 'pause' | 'resume'; node: NodeRef }
  /** The link between ShopGraph and the node, through the test TCP proxy. */
  | { at: number; action: 'cut'; node: NodeRef; link: LinkFault }
  | { at: number; action: 'restore'; node: NodeRef }
  /** pg_wal_replay_pause / resume on a replica: it falls behind without failing. */
  | { at: number; action: 'replay'; node: NodeRef; paused: boolean }
  /** Promote the most advanced replica: with a plain pg_ctl promote (after the primary died) or shopgraph cluster failover. */
  | { at: number; action: 'promote'; how: 'pg_ctl promote' | 'cluster failover' }
  /** Stop the ShopGraph process (gracefully or not) and start it again at once. */
  | { at: number; action: 'restart-server'; signal: 'SIGTERM' | 'SIGKILL' };

/**
 * One fault: its steps run in order, each at its time (ms from the start of the schedule's
 * fault phase) or, when the step before it took longer (a promotion waiting for a paused
 * replica), right after it. The faults of a schedule run side by side.
 */
export interface FaultPlan {
  description: string;
  steps: Step[];
}

export interface Schedule {
  /** The seed that drew it; `--seed` with this value draws it again. */
  seed: number;
  name: string;
  faults: FaultPlan[];
}

/** The schedule of issue 11 that lost acknowledged orders, always the same but for its pause length. */
export const ISSUE_11 = 'issue-11';

export function issue11Schedule(seed: number): Schedule {
  const random = seededRandom(seed);
  const pauseMs = random.int(1500, 3000);
  return {
    seed,
    name: ISSUE_11,
    faults: [
      {
        description: `kill -9 the primary, plain pg_ctl promote of a replica, the old primary started again as it was, then the new primary paused for ${pauseMs} ms`,
        steps: [
          { at: 0, action: 'kill', node: 'P' },
          { at: 800, action: 'promote', how: 'pg_ctl promote' },
          { at: 1800, action: 'start', node: 'P', asIs: true },
          { at: 3000, action: 'pause', node: 'NEW' },
          { at: 3000 + pauseMs, action: 'resume', node: 'NEW' },
        ],
      },
    ],
  };
}

interface Fault {
  description: string;
  steps: Step[];
  /** The nodes it acts on, so that two faults of one schedule act on different nodes. */
  nodes: NodeRef[];
  promotes: boolean;
}

type FaultMaker = (random: Random, node: NodeRef) => Fault;

const CATALOGUE: { name: string; on: 'primary' | 'replica' | 'any' | 'none'; make: FaultMaker }[] = [
  {
    name: 'crash a replica',
    on: 'replica',
    make: (random, node) => {
      const downMs = random.int(1000, 4000);
      return fault(`kill -9 ${node}, start it again after ${downMs} ms`, [node], false, [
        { at: 0, action: 'kill', node },
        { at: downMs, action: 'start', node, asIs: false },
      ]);
    },
  },
  {
    name: 'pause a node',
    on: 'any',
    make: (random, node) => {
      const ms = random.int(200, 5000);
      return fault(`pause ${node} (SIGSTOP) for ${ms} ms`, [node], false, [
        { at: 0, action: 'pause', node },
        { at: ms, action: 'resume', node },
      ]);
    },
  },
  {
    name: 'break a link',
    on: 'any',
    make: (random, node) => {
      const link = random.pick<LinkFault>([{ kind: 'drop' }, { kind: 'blackhole' }, { kind: 'delay', ms: random.int(50, 400) }]);
      const ms = random.int(1000, 5000);
      const what = link.kind === 'delay' ? `slow by ${link.ms} ms` : link.kind === 'drop' ? 'cut' : 'black-hole';
      return fault(`${what} the link to ${node} for ${ms} ms`, [node], false, [
        { at: 0, action: 'cut', node, link },
        { at: ms, action: 'restore', node },
      ]);
    },
  },
  {
    name: 'pause replay',
    on: 'replica',
    make: (random, node) => {
      const ms = random.int(1000, 5000);
      return fault(`pause WAL replay on ${node} for ${ms} ms`, [node], false, [
        { at: 0, action: 'replay', node, paused: true },
        { at: ms, action: 'replay', node, paused: false },
      ]);
    },
  },
  {
    name: 'lose the primary',
    on: 'primary',
    make: (random) => {
      const how = random.pick(['pg_ctl promote', 'cluster failover'] as const);
      const promoteAt = random.int(300, 2000);
      const steps: Step[] = [
        { at: 0, action: 'kill', node: 'P' },
        { at: promoteAt, action: 'promote', how },
      ];
      const parts = [`kill -9 the primary, ${how} after ${promoteAt} ms`];
      const asIs = random.chance(0.5);
      const startAt = promoteAt + random.int(500, 2500);
      steps.push({ at: startAt, action: 'start', node: 'P', asIs });
      parts.push(asIs ? 'the old primary started again as it was' : 'the old primary started again (rebuilt)');
      if (random.chance(0.35)) {
        const pauseAt = startAt + random.int(200, 1500);
        const ms = random.int(200, 5000);
        steps.push({ at: pauseAt, action: 'pause', node: 'NEW' }, { at: pauseAt + ms, action: 'resume', node: 'NEW' });
        parts.push(`then the new primary paused for ${ms} ms`);
      }
      return fault(parts.join(', '), ['P', 'NEW'], true, steps);
    },
  },
  {
    name: 'switch over',
    on: 'primary',
    make: (random) => {
      const startAt = random.int(1000, 3000);
      return fault(
        `shopgraph cluster failover with the primary running, the old primary started again after ${startAt} ms`,
        ['P', 'NEW'],
        true,
        [
          { at: 0, action: 'promote', how: 'cluster failover' },
          { at: startAt, action: 'start', node: 'P', asIs: false },
        ],
      );
    },
  },
  {
    name: 'restart ShopGraph',
    on: 'none',
    make: (random) => {
      const signal = random.pick(['SIGTERM', 'SIGKILL'] as const);
      return fault(`restart the ShopGraph process (${signal})`, [], false, [{ at: 0, action: 'restart-server', signal }]);
    },
  },
];

/** One or two faults from the catalogue, on different nodes, the second starting up to 4 s after the first. */
export function randomSchedule(seed: number): Schedule {
  const random = seededRandom(seed);
  const count = random.chance(0.5) ? 1 : 2;
  const faults: Fault[] = [];
  for (let attempt = 0; faults.length < count && attempt < 20; attempt++) {
    const entry = random.pick(CATALOGUE);
    // Two restarts of the server at once would stop a server that is still starting.
    if (entry.on === 'none' && faults.some((fault) => fault.nodes.length === 0)) continue;
    const busy = new Set(faults.flatMap((fault) => fault.nodes));
    if (entry.on === 'primary' && (busy.has('P') || faults.some((fault) => fault.promotes))) continue;
    const free = (['P', 'R1', 'R2'] as const).filter((node) => !busy.has(node));
    const candidates = entry.on === 'replica' ? free.filter((node) => node !== 'P') : entry.on === 'primary' ? ['P' as const] : free;
    if (entry.on !== 'none' && candidates.length === 0) continue;
    const made = entry.make(random, entry.on === 'none' ? 'P' : random.pick(candidates));
    const offset = faults.length === 0 ? 0 : random.int(0, 4000);
    faults.push({
      ...made,
      description: offset === 0 ? made.description : `${offset} ms in: ${made.description}`,
      steps: made.steps.map((step) => ({ ...step, at: step.at + offset })),
    });
  }
  return { seed, name: `random-${seed}`, faults: faults.map(({ description, steps }) => ({ description, steps })) };
}

function fault(description: string, nodes: NodeRef[], promotes: boolean, steps: Step[]): Fault {
  return { description, nodes, promotes, steps };
}
