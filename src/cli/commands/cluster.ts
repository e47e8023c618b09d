import type { Config } from '../../config.js';
import { EmbeddedCluster } from '../../embedded/index.js';
import type { Logger } from '../../log.js';
import { flag, UsageError, type Command } from '../args.js';
import { openDatabase } from '../database.js';

const NODE_ARGUMENT = { name: 'NODE', description: 'an embedded node, as cluster status names it (for example pg2)' };

/** `shopgraph cluster up | down | status [--json] | failover | stop NODE | start NODE`. */
export const clusterCommands: Command[] = [
  {
    words: ['cluster', 'up'],
    summary: 'start the embedded cluster (it keeps running between commands)',
    async run(config, logger) {
      const cluster = await openEmbedded(config, logger);
      const started = await cluster.up();
      logger.info(started.length > 0 ? `started ${started.join(', ')}` : 'every node was already running');
    },
  },
  {
    words: ['cluster', 'down'],
    summary: 'stop every node of the embedded cluster',
    async run(config, logger) {
      const cluster = await openEmbedded(config, logger);
      await cluster.down();
      logger.info('stopped every node');
    },
  },
  {
    words: ['cluster', 'status'],
    options: { json: { type: 'boolean', description: "print the full status, with every node's URL and password, as JSON for scripts" } },
    summary: "the cluster's mode and every node's role, health and replication lag",
    run: (config, logger, args) => clusterStatus(config, logger, flag(args, 'json')),
  },
  {
    words: ['cluster', 'failover'],
    summary: 'promote the freshest replica of the embedded cluster and re-point the others to it',
    async run(config, logger) {
      const cluster = await openEmbedded(config, logger);
      const { from, to } = await cluster.failover();
      logger.info(`failed over from ${from} to ${to}; start ${from} again to rebuild it as a replica`);
    },
  },
  {
    words: ['cluster', 'stop'],
    arguments: [NODE_ARGUMENT],
    summary: 'stop one embedded node',
    async run(config, logger, args) {
      const name = args.positionals[0]!;
      const cluster = await openEmbedded(config, logger);
      await cluster.stopNode(name);
      logger.info(`stopped ${name}`);
    },
  },
  {
    words: ['cluster', 'start'],
    arguments: [NODE_ARGUMENT],
    summary: 'start one embedded node (a former primary comes back rebuilt as a replica)',
    async run(config, logger, args) {
      const name = args.positionals[0]!;
      const cluster = await openEmbedded(config, logger);
      await cluster.startNode(name);
      logger.info(`started ${name}`);
    },
  },
];

async function openEmbedded(config: Config, logger: Logger): Promise<EmbeddedCluster> {
  if (config.databaseNodes.length > 0) {
    throw new UsageError('this command manages the embedded cluster; unset DATABASE_URLS to use it (your own cluster has its own tools).');
  }
  return EmbeddedCluster.open({
    dataDir: config.embedded.dataDir,
    basePort: config.embedded.basePort,
    replicas: config.embedded.replicas,
    requireSynchronousStandby: config.routing.requireSynchronousStandby,
    onProgress: (message) => logger.info(message),
  });
}

async function clusterStatus(config: Config, logger: Logger, json: boolean): Promise<void> {
  // Status looks, it does not touch: no cluster is created and no node is started.
  const database = await openDatabase(config, logger, { startEmbedded: false });
  try {
    const urls = new Map((database.embedded?.nodes ?? []).map((node) => [node.name, node.url]));
    for (const node of config.databaseNodes) urls.set(node.name, node.url);
    const status = database.manager.status();
    const nodes = status.nodes.map((node) => ({ ...node, url: urls.get(node.name) ?? '' }));
    if (json) {
      process.stdout.write(`${JSON.stringify({ ...status, nodes }, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `mode ${status.mode}, primary ${status.primary ?? 'none'}${status.conflict ? ' (several nodes claim to be primary)' : ''}, timeline ${status.timeline}\n`,
    );
    const confirmedBy = status.synchronousStandbys.length > 0 ? ` (confirmed by ${status.synchronousStandbys.join(', ')})` : '';
    const refused =
      status.synchronousRequired && status.durability !== 'synchronous' ? ': writes are refused until a standby confirms commits' : '';
    process.stdout.write(`durability ${status.durability}${confirmedBy}${refused}\n`);
    for (const node of nodes) {
      const role = node.fenced ? `${node.role} (fenced)` : node.role;
      const lag = node.role === 'replica' && node.lagBytes !== null ? `lag ${node.lagBytes} B / ${node.lagSeconds?.toFixed(1)} s` : '';
      const note = node.ineligible ? `not serving reads: ${node.ineligible}` : '';
      process.stdout.write(
        `${[node.name.padEnd(8), role.padEnd(18), node.state.padEnd(8), withoutPassword(node.url).padEnd(50), lag.padEnd(24), note].join(' ').trimEnd()}\n`,
      );
    }
  } finally {
    await database.close();
  }
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
