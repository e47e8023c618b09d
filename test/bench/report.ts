/** The benchmark's report: the JSON shape, a markdown table, and an SVG chart. */
export interface OperationResult {
  name: string;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  sqlPerRequest: number;
  replicaShare: number;
  errors: number;
  /** The floor's throughput; null for the write, which has no floor. */
  floorRps: number | null;
  floorP50Ms: number | null;
  floorP99Ms: number | null;
  ratioToFloor: number | null;
  /** Cached operations: the share of the server's response-cache lookups that hit, over the measured runs (not their warm-ups). */
  hitRatio?: number;
  /**
   * Cached operations: the share of lookups that missed but were answered by a read of the same
   * key in flight, with no read of their own (not counted in hitRatio).
   */
  joinedRatio?: number;
}

export interface BenchReport {
  date: string;
  machine: { cpus: number; node: string };
  scale: number;
  connections: number;
  /** Rounds per operation, each ShopGraph's then the floor's; figures are the median round's. */
  rounds: number;
  /** Measured seconds of one round. */
  durationSeconds: number;
  operations: OperationResult[];
  peakRssMb: number;
  /** The fragment-doubling query (issue 12): its median and slowest answer, and the slowest /healthz meanwhile. */
  fragmentDoubling: { p50Ms: number; maxMs: number; healthzMaxMs: number };
  /**
   * Time from a commit to the eviction of the cached responses it touched, over the cached
   * operations' rounds (the server's shopgraph_response_cache_invalidation_ms); null when none was recorded.
   */
  invalidation: { p50Ms: number; p99Ms: number } | null;
  /** The writer beside the cached operations: writes per second asked for, made, and failed. */
  writer: { ratePerSecond: number; writes: number; failures: number };
  /** How long the cached operations ran under the same load and writer before their first round. */
  cacheWarmupSeconds: number;
  targets: { name: string; met: boolean; detail: string }[];
}

export function evaluateTargets(
  operations: OperationResult[],
  peakRssMb: number,
  doubling: BenchReport['fragmentDoubling'],
  invalidation: BenchReport['invalidation'],
): BenchReport['targets'] {
  const reads = operations.filter((operation) => operation.floorRps !== null && operation.hitRatio === undefined);
  const cached = operations.filter((operation) => operation.hitRatio !== undefined);
  const percent = (value: number) => `${Math.round(value * 100)}%`;
  return [
    {
      name: 'every read at 60% or more of the floor',
      met: reads.every((operation) => (operation.ratioToFloor ?? 0) >= 0.6),
      detail: reads.map((operation) => `${operation.name} ${percent(operation.ratioToFloor ?? 0)}`).join(', '),
    },
    {
      name: 'p99 within 3x p50',
      met: operations.every((operation) => operation.p99Ms <= 3 * operation.p50Ms),
      detail: operations
        .map((operation) => `${operation.name} ${(operation.p99Ms / Math.max(operation.p50Ms, 0.01)).toFixed(1)}x`)
        .join(', '),
    },
    {
      name: '95% or more of read statements on replicas',
      met: reads.every((operation) => operation.replicaShare >= 0.95),
      detail: reads.map((operation) => `${operation.name} ${percent(operation.replicaShare)}`).join(', '),
    },
    { name: 'server peak memory under 300 MB', met: peakRssMb < 300, detail: `${peakRssMb} MB` },
    {
      name: 'the fragment-doubling query answered in under 50 ms, and /healthz too meanwhile',
      met: doubling.maxMs < 50 && doubling.healthzMaxMs < 50,
      detail: `query p50 ${doubling.p50Ms} ms, slowest ${doubling.maxMs} ms; slowest /healthz ${doubling.healthzMaxMs} ms`,
    },
    {
      name: 'cached product pages at 3x the uncached floor or more, with 90% hits or more, under writes',
      met: cached.length > 0 && cached.every((operation) => (operation.ratioToFloor ?? 0) >= 3 && (operation.hitRatio ?? 0) >= 0.9),
      detail: cached
        .map(
          (operation) => `${operation.name} ${percent(operation.ratioToFloor ?? 0)} of the floor, ${percent(operation.hitRatio ?? 0)} hits`,
        )
        .join(', '),
    },
    {
      name: 'commit-to-eviction p99 under 100 ms',
      met: invalidation !== null && invalidation.p99Ms < 100,
      detail: invalidation ? `p50 ${invalidation.p50Ms} ms, p99 ${invalidation.p99Ms} ms` : 'no times recorded',
    },
    {
      name: 'no failed requests',
      met: operations.every((operation) => operation.errors === 0),
      detail: operations.map((o) => `${o.name} ${o.errors}`).join(', '),
    },
  ];
}

export function markdownTable(report: BenchReport): string {
  const rows = report.operations.map((operation) =>
    [
      operation.name,
      operation.rps,
      operation.floorRps ?? '–',
      operation.ratioToFloor === null ? '–' : `${Math.round(operation.ratioToFloor * 100)}%`,
      operation.p50Ms,
      operation.p95Ms,
      operation.p99Ms,
      operation.floorP99Ms ?? '–',
      operation.sqlPerRequest,
      `${Math.round(operation.replicaShare * 100)}%`,
      operation.hitRatio === undefined
        ? '–'
        : `${Math.round(operation.hitRatio * 1000) / 10}%${operation.joinedRatio ? ` (+${Math.round(operation.joinedRatio * 1000) / 10}% joined)` : ''}`,
      operation.errors,
    ].join(' | '),
  );
  return [
    `Measured ${report.date} on ${report.machine.cpus} cores, Node ${report.machine.node}: scale ${report.scale} (10,000 products), ${report.connections} connections, ${report.rounds} rounds of ${report.durationSeconds} s per operation taking turns with the floor, each after a warm-up (the median round's figures; of floor: the median of the rounds' ratios); server peak memory ${report.peakRssMb} MB.`,
    '',
    '| operation | req/s | floor req/s | of floor | p50 ms | p95 ms | p99 ms | floor p99 ms | SQL/request | on replicas | cache hits | errors |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows.map((row) => `| ${row} |`),
    '',
    `Cached operations ran beside a writer changing prices and stock of products drawn the same way (${report.writer.ratePerSecond} writes/s asked, ${report.writer.writes} made, ${report.writer.failures} failed), their first round after ${report.cacheWarmupSeconds} s of the same load (the cache has met the long tail, as on a server that has run a while); commit to eviction: ${report.invalidation ? `p50 ${report.invalidation.p50Ms} ms, p99 ${report.invalidation.p99Ms} ms` : 'no times recorded'}.`,
    '',
    ...report.targets.map((target) => `- ${target.met ? 'met' : '**missed**'}: ${target.name} (${target.detail})`),
  ].join('\n');
}

/** Two panels, throughput and p99 latency, ShopGraph beside the floor for each operation. */
export function svgChart(report: BenchReport): string {
  const width = 900;
  const panelHeight = 260;
  const colors = { shopgraph: '#2f6fb2', floor: '#b0b7c0' };
  const panel = (title: string, top: number, value: (operation: OperationResult) => [number, number | null], unit: string) => {
    const values = report.operations.flatMap((operation) => value(operation).filter((v): v is number => v !== null));
    const max = Math.max(1, ...values) * 1.15;
    const chartTop = top + 40;
    const chartHeight = panelHeight - 90;
    const groupWidth = (width - 120) / report.operations.length;
    const bars = report.operations
      .map((operation, index) => {
        const [mine, floor] = value(operation);
        const x = 80 + index * groupWidth + groupWidth * 0.15;
        const barWidth = groupWidth * 0.32;
        const bar = (amount: number | null, offset: number, color: string) => {
          if (amount === null) return '';
          const height = (amount / max) * chartHeight;
          const y = chartTop + chartHeight - height;
          return `<rect x="${x + offset}" y="${y}" width="${barWidth}" height="${height}" fill="${color}"/><text x="${x + offset + barWidth / 2}" y="${y - 4}" font-size="11" text-anchor="middle">${Math.round(amount)}</text>`;
        };
        return `${bar(mine, 0, colors.shopgraph)}${bar(floor, barWidth + 4, colors.floor)}<text x="${x + barWidth}" y="${chartTop + chartHeight + 16}" font-size="12" text-anchor="middle">${operation.name}</text>`;
      })
      .join('');
    return `<text x="20" y="${top + 24}" font-size="15" font-weight="bold">${title}</text><text x="20" y="${chartTop + chartHeight / 2}" font-size="11" transform="rotate(-90 20 ${chartTop + chartHeight / 2})" text-anchor="middle">${unit}</text><line x1="70" y1="${chartTop + chartHeight}" x2="${width - 30}" y2="${chartTop + chartHeight}" stroke="#333"/>${bars}`;
  };
  const legend = `<rect x="${width - 260}" y="12" width="14" height="14" fill="${colors.shopgraph}"/><text x="${width - 240}" y="24" font-size="12">ShopGraph</text><rect x="${width - 160}" y="12" width="14" height="14" fill="${colors.floor}"/><text x="${width - 140}" y="24" font-size="12">raw-SQL floor</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${panelHeight * 2 + 10}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${legend}${panel('Throughput (higher is better)', 0, (o) => [o.rps, o.floorRps], 'requests/s')}${panel('p99 latency (lower is better)', panelHeight, (o) => [o.p99Ms, o.floorP99Ms], 'ms')}</svg>\n`;
}
