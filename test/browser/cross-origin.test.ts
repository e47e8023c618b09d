import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startPrivateCluster, type PrivateCluster } from '../support/cluster.js';
import { gid } from '../support/ids.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * A web shop on another origin uses ShopGraph from a real browser: headless Chromium (Debian's
 * package; never a downloaded build) loads a page from one loopback origin that calls the API
 * on another: a query (twice, so the fast lane answers the second), a mutation with an API key,
 * and a read with the consistency token the mutation's response header carried. The test reads
 * what the page shows. A page of an origin the server does not list is stopped by the browser.
 */
const CHROMIUM = '/usr/bin/chromium';
const installed = existsSync(CHROMIUM);
const STOREFRONT = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'storefront.html'), 'utf8');

if (!installed) console.warn(`Skipping the browser tests: ${CHROMIUM} is missing. Install it with: apt-get install -y chromium`);

interface Shown {
  status: number;
  requestId: string | null;
  token: string | null;
  body: { data?: Record<string, any>; errors?: unknown[]; extensions?: Record<string, any> };
}

describe.skipIf(!installed)(`a page on another origin, in Chromium (needs ${CHROMIUM}: apt-get install -y chromium)`, () => {
  let cluster: PrivateCluster | undefined;
  let server: TestServer | undefined;
  let browser: BrowserContext | undefined;
  let profile: string | undefined;
  const pages: http.Server[] = [];
  const lines: Record<string, unknown>[] = [];
  let listedOrigin: string;
  let otherOrigin: string;

  beforeAll(async () => {
    listedOrigin = await servePage();
    otherOrigin = await servePage();
    cluster = await startPrivateCluster({ replicas: 1 });
    server = await startTestServer(cluster.manager, {
      corsOrigins: [listedOrigin],
      logger: createLogger({ to: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    profile = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) await fs.rm(profile, { recursive: true, force: true });
    await server?.stop();
    await cluster?.stop();
    for (const page of pages) await new Promise((resolve) => page.close(resolve));
  });

  /** Serves the storefront page on a loopback port of its own: an origin of its own. */
  async function servePage(): Promise<string> {
    const page = http.createServer((_, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(STOREFRONT);
    });
    pages.push(page);
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  }

  /** Opens the storefront from `origin` and returns what it shows once it is done. */
  async function visit(origin: string): Promise<Record<string, Shown> & { error?: string }> {
    const key = await server!.createKey(['catalog:read', 'orders:read', 'orders:write']);
    const query = new URLSearchParams({ api: server!.url, key, product: gid('Product', 3), customer: gid('Customer', 4) });
    const tab = await browser!.newPage();
    try {
      await tab.goto(`${origin}/?${query}`);
      await tab.waitForSelector('body[data-state="done"]', { timeout: 30_000 });
      return JSON.parse((await tab.textContent('#result'))!) as Record<string, Shown> & { error?: string };
    } finally {
      await tab.close();
    }
  }

  it('runs a query, a mutation with a key, and a read with the returned consistency token', async () => {
    const shown = await visit(listedOrigin);
    expect(shown.error).toBeUndefined();

    expect(shown.query).toMatchObject({ status: 200, body: { data: { product: { sku: expect.any(String) } } } });
    // The page can read the request id: the header is exposed to it.
    expect(shown.query!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(shown.repeatedQuery!.body.data).toEqual(shown.query!.body.data);
    expect(lines.find((line) => line.requestId === shown.repeatedQuery!.requestId)).toMatchObject({ lane: 'fast' });

    expect(shown.mutation).toMatchObject({ status: 200, body: { data: { placeOrder: { replayed: false } } } });
    expect(shown.mutation!.token).toMatch(/^\d+\/[0-9A-F]+\/[0-9A-F]+$/);
    expect(shown.mutation!.token).toBe(shown.mutation!.body.extensions!.consistency.token);

    // Chromium asked first (the JSON body and the headers need a preflight), and was answered.
    expect(lines).toContainEqual(expect.objectContaining({ method: 'OPTIONS', path: '/graphql', status: 204 }));

    const order = shown.mutation!.body.data!.placeOrder.order;
    expect(shown.readYourWrite).toMatchObject({ status: 200, body: { data: { order: { id: order.id, status: 'PENDING' } } } });
    expect(shown.readYourWrite!.body.extensions!.consistency).toBeUndefined();
  });

  it('is stopped by the browser when the server does not list its origin', async () => {
    const shown = await visit(otherOrigin);
    expect(shown.error).toMatch(/Failed to fetch/);
    expect(shown.query).toBeUndefined();
  });
});
