/**
 * `npm run chaos -- [--schedules N] [--seed S] [--include issue-11] [--out FILE] [--keep]`
 *
 * ShopGraph under a bounded mixed load (readers, writers placing orders with idempotency
 * keys, reads back with consistency tokens) while fault schedules drawn from a seed break
 * the cluster: SIGKILL or SIGSTOP of a node's processes, a cut, black-holed or slow link,
 * paused replay, a promotion by plain pg_ctl promote or by shopgraph cluster failover, an old
 * primary started again as it was, a restart of the ShopGraph process. Schedule i is drawn
 * from seed S + i, so `--seed X --schedules 1` runs a failing schedule X again. Every request
 * is recorded, and each schedule's history is checked against the tables of the final
 * primary (see checker.ts). Exits 1 when any schedule broke a promise. Everything runs on
 * loopback, in a temp directory, and is stopped at the end, also when the run fails; with
 * `--keep` the directory stays (the nodes' logs, server.log) and its path is printed.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkHistory, type FinalState, type Verdict, type Violation } from './checker.js';
import { ChaosEnvironment } from './environment.js';
import type { Operation } from './history.js';
import { ISSUE_11, issue11Schedule, randomSchedule, type Schedule, type Step } from './schedule.js';
import { finalStateOf, stockOf } from './tables.js';
import { runWorkload } from './workload.js';

const SCALE = 0.1;
const LOAD = { readers: 5, writers: 3, products: 1000, customers: 500 };
/** The server's replica lag bound; staleness is checked against it plus probe slack. */
const LAG_BOUND_SECONDS = 2;
const STALENESS_SLACK_MS = 1500;
/** Time a fault may take to be noticed (probe interval and timeout) before a failed read counts against us. */
const DETECTION_SLACK_MS = 3000;
const WARM_UP_MS = 2000;
const HEALED_LOAD_MS = 2000;
const WRITE_RESUME_GOAL_MS = 1000;

interface Event {
  /** ms since the schedule's load began. */
  at: number;
  event: string;
}

interface Promotion {
  node: string;
  at: number;
  /** ms from the promotion to the first write that node acknowledged; null when none came. */
  writeResumeMs: number | null;
  /**
   * Whether writes could resume at once: another node was there to become its synchronous
   * standby, and no other fault struck in the second after. Only these count for the goal.
   */
  clean: boolean;
}

interface ScheduleResult {
  seed: number;
  name: string;
  faults: string[];
  events: Event[];
  verdict: Verdict;
  promotions: Promotion[];
  ejectBlackholedMs: number[];
  requests: number;
  outcomes: Record<string, number>;
  otherWriteErrors: Record<string, number>;
  /** The first failed reads, with when they were sent and their code. */
  readFailures: { at: number; code: string }[];
  durationMs: number;
  /** The history, kept only for a schedule that broke a promise. */
  history?: Operation[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      schedules: { type: 'string', default: '1' },
      seed: { type: 'string' },
      include: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const count = Number(values.schedules);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : Number(values.seed);
  if (!Number.isInteger(count) || count < 0 || !Number.isSafeInteger(seed)) {
    throw new Error('--schedules takes a whole number and --seed an integer.');
  }
  for (const name of values.include) if (name !== ISSUE_11) throw new Error(`--include takes ${ISSUE_11}, not ${name}.`);
  const schedules: Schedule[] = [
    ...values.include.map(() => issue11Schedule(seed)),
    ...Array.from({ length: count }, (_, index) => randomSchedule(seed + index)),
  ];

  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-chaos-'));
  // The embedded servers may run as another user (when this runs as root): let it in.
  await fs.chmod(dataDir, 0o755);
  const cleanups: (() => Promise<unknown>)[] = [
    async () => {
      if (values.keep) console.log(`kept the nodes' logs and server.log in ${dataDir}`);
      else await fs.rm(dataDir, { recursive: true, force: true });
    },
  ];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  const started = Date.now();
  try {
    console.log(
      `chaos: ${schedules.length} schedule(s) from seed ${seed}; setting up an embedded cluster, its keeper, TCP proxies and the server`,
    );
    const environment = await ChaosEnvironment.create(
      { dataDir, scale: SCALE, lagBoundSeconds: LAG_BOUND_SECONDS, log: console.log },
      cleanups,
    );
    const results: ScheduleResult[] = [];
    for (const schedule of schedules) {
      const result = await runSchedule(environment, schedule);
      results.push(result);
      printSchedule(result, environment);
    }
    const report = summarise(seed, results, Date.now() - started);
    printReport(report);
    if (values.out) await fs.writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);
    if (report.failing.length > 0) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

async function runSchedule(environment: ChaosEnvironment, schedule: Schedule): Promise<ScheduleResult> {
  const started = Date.now();
  console.log(`\nschedule ${schedule.name} (seed ${schedule.seed})`);
  for (const fault of schedule.faults) console.log(`  - ${fault.description}`);
  await environment.heal();
  environment.beginSchedule();
  const keyPrefix = `chaos-${schedule.name}`;
  const stockBefore = await stock(environment);

  const history: Operation[] = [];
  const events: Event[] = [];
  const promotions: Promotion[] = [];
  const ejectBlackholedMs: number[] = [];
  const faultsAt: number[] = [];
  const loadStarted = Date.now();
  const note = (event: string) => {
    const at = Date.now() - loadStarted;
    events.push({ at, event });
    console.log(`  ${(at / 1000).toFixed(1).padStart(5)} s  ${event}`);
  };
  let stopping = false;
  const load = runWorkload(
    {
      url: environment.url,
      apiKey: environment.apiKey,
      ...LOAD,
      seed: schedule.seed,
      keyPrefix,
      startedAt: loadStarted,
      shouldStop: () => stopping,
    },
    history,
  );
  try {
    await sleep(WARM_UP_MS);
    const faultsStarted = Date.now();
    await Promise.all(
      schedule.faults.map(async (fault) => {
        // Each step waits its gap after the one before it: a step that took long (a kill under
        // load, a promotion waiting for a paused replica) does not squeeze the next ones.
        let previous: { at: number; doneAt: number } = { at: 0, doneAt: faultsStarted };
        for (const step of fault.steps) {
          await sleep(previous.doneAt + step.at - previous.at - Date.now());
          try {
            const done = await environment.apply(step);
            note(done);
            if (step.action === 'promote') {
              const node = environment.promoted!;
              promotions.push({
                node,
                at: Date.now() - loadStarted,
                writeResumeMs: null,
                clean: environment.standbysBesides(node).length > 0,
              });
            }
            if (step.action !== 'promote' && isHarmful(step)) faultsAt.push(Date.now() - loadStarted);
            if (step.action === 'cut' && step.link.kind === 'blackhole') {
              void timeToEject(environment, environment.nameOf(step.node)).then((ms) => ms !== null && ejectBlackholedMs.push(ms));
            }
          } catch (error) {
            note(`step ${step.action} failed: ${(error as Error).message.split('\n')[0]}`);
          }
          previous = { at: step.at, doneAt: Date.now() };
        }
      }),
    );
    note('faults over: healing');
    await environment.heal();
    note('healed');
    await sleep(HEALED_LOAD_MS);
  } finally {
    stopping = true;
    await load;
    environment.endSchedule();
  }
  note('load stopped');

  const final = await finalState(environment, keyPrefix, stockBefore);
  const verdict = checkHistory(history, final, {
    stalenessBoundMs: LAG_BOUND_SECONDS * 1000 + STALENESS_SLACK_MS,
    servable: (from, to) => environment.servableThroughout(loadStarted + from, loadStarted + to, DETECTION_SLACK_MS),
  });
  for (const promotion of promotions) {
    const first = history.find(
      (op) => op.kind === 'order' && op.outcome === 'ok' && op.node === promotion.node && op.completedAt >= promotion.at,
    );
    promotion.writeResumeMs = first ? first.completedAt - promotion.at : null;
    if (faultsAt.some((at) => at > promotion.at && at <= promotion.at + WRITE_RESUME_GOAL_MS)) promotion.clean = false;
  }
  const outcomes: Record<string, number> = {};
  const otherWriteErrors: Record<string, number> = {};
  for (const op of history) {
    const key = `${op.kind}-${op.outcome}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (op.kind === 'order' && op.code) otherWriteErrors[op.code] = (otherWriteErrors[op.code] ?? 0) + 1;
  }
  return {
    seed: schedule.seed,
    name: schedule.name,
    faults: schedule.faults.map((fault) => fault.description),
    events,
    verdict,
    promotions,
    ejectBlackholedMs,
    requests: history.length,
    outcomes,
    otherWriteErrors,
    readFailures: history
      .filter((op) => op.kind !== 'order' && op.outcome !== 'ok')
      .slice(0, 50)
      .map((op) => ({ at: op.invokedAt, code: op.code! })),
    durationMs: Date.now() - started,
    ...(verdict.violations.length > 0 ? { history } : {}),
  };
}

/** Units on hand of each product the load orders, on the primary. */
function stock(environment: ChaosEnvironment): Promise<Map<number, number>> {
  return environment.onNode(environment.cluster.primaryName, (sql) => stockOf(sql, LOAD.products));
}

/** The schedule's orders and the stock left, read on the final primary once everything healed. */
function finalState(environment: ChaosEnvironment, keyPrefix: string, stockBefore: Map<number, number>): Promise<FinalState> {
  return environment.onNode(environment.cluster.primaryName, (sql) => finalStateOf(sql, keyPrefix, stockBefore, LOAD.products));
}

/** ms until ShopGraph takes a black-holed node out (its state is no longer UP); null if it never does within 15 s. */
async function timeToEject(environment: ChaosEnvironment, name: string): Promise<number | null> {
  const cutAt = Date.now();
  while (Date.now() - cutAt < 15_000) {
    const response = await fetch(environment.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${environment.apiKey}` },
      body: JSON.stringify({ query: '{ clusterStatus { nodes { name state } } }' }),
    }).catch(() => undefined);
    const body = (await response?.json().catch(() => undefined)) as
      { data?: { clusterStatus: { nodes: { name: string; state: string }[] } } } | undefined;
    const state = body?.data?.clusterStatus.nodes.find((node) => node.name === name)?.state;
    if (state !== undefined && state !== 'UP') return Date.now() - cutAt;
    await sleep(50);
  }
  return null;
}

interface Report {
  seed: number;
  schedules: number;
  requests: number;
  requestsByOutcome: Record<string, number>;
  failedReads: number;
  failedReadsWhileServable: number;
  lostAcknowledgedWrites: number;
  duplicateOrders: number;
  phantomOrders: number;
  stockMismatches: number;
  staleReads: number;
  supersededTimelineReads: number;
  tokenViolations: number;
  acknowledgedWrites: number;
  /** Median and largest time from a promotion to the first write the new primary acknowledged. */
  writeResumeMs: number | null;
  writeResumeMsMax: number | null;
  /** Promotions after which no write was acknowledged by the new primary before the schedule ended. */
  promotionsWithoutWrites: number;
  /** Promotions left out of the write-resume figures: no other node could confirm commits, or another fault struck within 1 s. */
  promotionsWithoutStandby: number;
  ejectBlackholedMs: number | null;
  durationMs: number;
  otherWriteErrors: Record<string, number>;
  events: (Event & { schedule: number })[];
  readFailures: { schedule: number; at: number; code: string }[];
  failing: { seed: number; name: string; faults: string[]; violations: Violation[] }[];
  scheduleResults: {
    seed: number;
    name: string;
    faults: string[];
    requests: number;
    acknowledgedWrites: number;
    violations: number;
    writeResumeMs: (number | null)[];
    promotionsClean: boolean[];
  }[];
}

function summarise(seed: number, results: ScheduleResult[], durationMs: number): Report {
  const total = (pick: (verdict: Verdict) => number) => results.reduce((sum, result) => sum + pick(result.verdict), 0);
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
  };
  const requestsByOutcome: Record<string, number> = {};
  const otherWriteErrors: Record<string, number> = {};
  for (const result of results) {
    add(requestsByOutcome, result.outcomes);
    add(otherWriteErrors, result.otherWriteErrors);
  }
  const clean = results.flatMap((result) => result.promotions.filter((promotion) => promotion.clean));
  const resumes = clean
    .map((promotion) => promotion.writeResumeMs)
    .filter((ms): ms is number => ms !== null)
    .sort((a, b) => a - b);
  const ejections = results.flatMap((result) => result.ejectBlackholedMs);
  return {
    seed,
    schedules: results.length,
    requests: results.reduce((sum, result) => sum + result.requests, 0),
    requestsByOutcome,
    failedReads: total((verdict) => verdict.failedReads),
    failedReadsWhileServable: total((verdict) => verdict.failedReadsWhileServable),
    lostAcknowledgedWrites: total((verdict) => verdict.lostAcknowledgedWrites),
    duplicateOrders: total((verdict) => verdict.duplicateOrders),
    phantomOrders: total((verdict) => verdict.phantomOrders),
    stockMismatches: total((verdict) => verdict.stockMismatches),
    staleReads: total((verdict) => verdict.staleReads),
    supersededTimelineReads: total((verdict) => verdict.supersededTimelineReads),
    tokenViolations: total((verdict) => verdict.tokenViolations),
    acknowledgedWrites: total((verdict) => verdict.acknowledgedWrites),
    writeResumeMs: resumes.length > 0 ? resumes[Math.floor(resumes.length / 2)]! : null,
    writeResumeMsMax: resumes.at(-1) ?? null,
    promotionsWithoutWrites: clean.filter((promotion) => promotion.writeResumeMs === null).length,
    promotionsWithoutStandby: results.reduce((sum, result) => sum + result.promotions.filter((promotion) => !promotion.clean).length, 0),
    ejectBlackholedMs: ejections.length > 0 ? Math.max(...ejections) : null,
    durationMs,
    otherWriteErrors,
    events: results.flatMap((result) => result.events.map((event) => ({ ...event, schedule: result.seed }))),
    readFailures: results.flatMap((result) => result.readFailures.map((failure) => ({ ...failure, schedule: result.seed }))).slice(0, 50),
    failing: results
      .filter((result) => result.verdict.violations.length > 0)
      .map((result) => ({
        seed: result.seed,
        name: result.name,
        faults: result.faults,
        violations: result.verdict.violations.slice(0, 20),
      })),
    scheduleResults: results.map((result) => ({
      seed: result.seed,
      name: result.name,
      faults: result.faults,
      requests: result.requests,
      acknowledgedWrites: result.verdict.acknowledgedWrites,
      violations: result.verdict.violations.length,
      writeResumeMs: result.promotions.map((promotion) => promotion.writeResumeMs),
      promotionsClean: result.promotions.map((promotion) => promotion.clean),
    })),
  };
}

function printSchedule(result: ScheduleResult, environment: ChaosEnvironment): void {
  const { verdict } = result;
  const resumes = result.promotions
    .map((promotion) => `${promotion.node} ${promotion.writeResumeMs ?? 'never'} ms${promotion.clean ? '' : ' (no standby at hand)'}`)
    .join(', ');
  console.log(
    `  ${result.requests} requests, ${verdict.acknowledgedWrites} orders acknowledged, ${verdict.failedReads} failed reads` +
      `${resumes ? `, writes resumed on ${resumes}` : ''}: ${verdict.violations.length === 0 ? 'ok' : `${verdict.violations.length} VIOLATIONS`}`,
  );
  if (verdict.violations.length === 0) return;
  console.log(
    `  run it again with: npm run chaos -- --schedules 1 --seed ${result.seed}${result.name === ISSUE_11 ? ` --include ${ISSUE_11}` : ''}`,
  );
  const byRule = new Map<string, number>();
  for (const violation of verdict.violations) byRule.set(violation.rule, (byRule.get(violation.rule) ?? 0) + 1);
  console.log(`  ${[...byRule].map(([rule, count]) => `${count} ${rule}`).join(', ')}`);
  const shown = new Set<string>();
  for (const violation of verdict.violations.slice(0, 10)) {
    console.log(`  ! ${violation.rule}: ${violation.detail}`);
    const op = violation.op === undefined ? undefined : result.history?.[violation.op];
    // The history around the first violation of each rule: what the other clients saw then.
    if (!op || shown.has(violation.rule)) continue;
    shown.add(violation.rule);
    const around = (result.history ?? []).filter((other) => Math.abs(other.invokedAt - op.invokedAt) <= 500);
    const index = around.indexOf(op);
    for (const other of around.slice(Math.max(0, index - 8), index + 8))
      console.log(`      ${other === op ? '>' : ' '} ${describe(other)}`);
  }
  const warnings = environment.serverLog.filter((line) => /"level":"(warn|error)"|"level":(40|50)/.test(line)).slice(-15);
  if (warnings.length > 0)
    console.log(`  server warnings (last ${warnings.length}):\n${warnings.map((line) => `      ${line}`).join('\n')}`);
}

function describe(op: Operation): string {
  const served = op.node ? ` on ${op.node}/${op.role}/tl${op.timeline}` : '';
  const what = op.kind === 'order' ? ` key ${op.key}${op.orderId ? ` -> order ${op.orderId}${op.replayed ? ' (replayed)' : ''}` : ''}` : '';
  const seen =
    op.newestOrderId !== undefined
      ? ` newest order ${op.newestOrderId}`
      : op.found !== undefined
        ? ` order ${op.orderId} ${op.found ? 'found' : 'MISSING'}`
        : '';
  return `#${op.index} w${op.worker} ${op.kind} ${op.invokedAt}-${op.completedAt} ms ${op.outcome}${op.code ? ` ${op.code}` : ''}${served}${what}${seen}`;
}

function printReport(report: Report): void {
  const goal = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(
    `\n${report.schedules} schedule(s) from seed ${report.seed} in ${(report.durationMs / 1000).toFixed(0)} s, ${report.requests} requests`,
  );
  for (const [outcome, count] of Object.entries(report.requestsByOutcome).sort()) console.log(`  ${outcome.padEnd(28)} ${count}`);
  const line = (label: string, value: number, ok = value === 0) =>
    console.log(`  ${label.padEnd(36)} ${String(value).padStart(6)}   goal 0: ${goal(ok)}`);
  line('lost acknowledged writes', report.lostAcknowledgedWrites);
  line('duplicate orders', report.duplicateOrders);
  line('orders placed though refused', report.phantomOrders);
  line('stock that does not add up', report.stockMismatches);
  line('token reads that missed their write', report.tokenViolations);
  line('reads from a superseded timeline', report.supersededTimelineReads);
  line('reads staler than the lag bound', report.staleReads);
  line('failed reads while a node could serve', report.failedReadsWhileServable);
  console.log(`  failed reads in all                  ${String(report.failedReads).padStart(6)}`);
  console.log(
    `  write resume after promotion         ${String(report.writeResumeMsMax ?? 'none').padStart(6)} ms max (median ${report.writeResumeMs ?? '-'})   goal < ${WRITE_RESUME_GOAL_MS}: ${goal(report.writeResumeMsMax === null || report.writeResumeMsMax < WRITE_RESUME_GOAL_MS)}`,
  );
  console.log(
    `  promotions left out of that figure   ${String(report.promotionsWithoutStandby).padStart(6)}   (no other node to confirm commits: down, paused or its replay paused; or another fault within 1 s)`,
  );
  if (report.failing.length > 0) console.log(`\nfailing schedules (seeds): ${report.failing.map((failing) => failing.seed).join(', ')}`);
}

/** A step that takes something away (the others give it back, or promote). */
function isHarmful(step: Step): boolean {
  return (
    step.action === 'kill' ||
    step.action === 'pause' ||
    step.action === 'cut' ||
    step.action === 'restart-server' ||
    (step.action === 'replay' && step.paused)
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
