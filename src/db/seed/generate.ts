import { amountToCents, centsToAmount } from '../money.js';
import { productSlug } from '../slugs.js';
import {
  ADJECTIVES,
  CATEGORY_TREE,
  FIRST_NAMES,
  LAST_NAMES,
  MATERIALS,
  NOUNS,
  REVIEW_ENDINGS,
  REVIEW_OPENINGS,
  WAREHOUSES,
} from './words.js';

/**
 * Deterministic demo data: the same scale and seed give the same rows, byte for byte, so a
 * benchmark or a bug report can be reproduced anywhere. Scale 1 is 10,000 products, 5,000
 * customers, 20,000 orders and 30,000 reviews. Rows carry explicit ids so they can
 * reference each other before they reach the database.
 */
export interface SeedOptions {
  scale: number;
  seed: number;
}

export interface SeedData {
  warehouses: { id: number; code: string; name: string; city: string; countryCode: string }[];
  categories: { id: number; parentId: number | null; name: string; slug: string; createdAt: Date }[];
  products: {
    id: number;
    sku: string;
    slug: string;
    name: string;
    description: string;
    priceAmount: string;
    currency: string;
    status: 'ACTIVE' | 'DRAFT' | 'ARCHIVED';
    categoryId: number;
    unitsSold: number;
    ratings1: number;
    ratings2: number;
    ratings3: number;
    ratings4: number;
    ratings5: number;
    createdAt: Date;
  }[];
  productImages: { id: number; productId: number; position: number; url: string; altText: string; width: number; height: number }[];
  inventoryLevels: { productId: number; warehouseId: number; onHand: number; reserved: number }[];
  customers: { id: number; email: string; name: string; createdAt: Date }[];
  orders: {
    id: number;
    customerId: number;
    status: 'PENDING' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
    totalAmount: string;
    currency: string;
    createdAt: Date;
  }[];
  orderItems: { id: number; orderId: number; productId: number; warehouseId: number; quantity: number; unitPrice: string }[];
  reviews: { id: number; productId: number; customerId: number; rating: number; body: string; createdAt: Date }[];
}

const START = Date.UTC(2024, 0, 1);
const END = Date.UTC(2026, 5, 30);
const DAY = 86_400_000;

export function generateSeedData({ scale, seed }: SeedOptions): SeedData {
  const random = mulberry32(seed);
  const counts = {
    products: Math.max(1, Math.round(10_000 * scale)),
    customers: Math.max(1, Math.round(5_000 * scale)),
    orders: Math.round(20_000 * scale),
    reviews: Math.round(30_000 * scale),
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const timeBetween = (from: number, to: number) => new Date(Math.floor(from + random() * (to - from)));

  const warehouses = WAREHOUSES.map((warehouse, index) => ({ id: index + 1, ...warehouse }));

  const categories: SeedData['categories'] = [];
  const leafCategoryIds: number[] = [];
  for (const [root, children] of Object.entries(CATEGORY_TREE)) {
    const rootId = categories.length + 1;
    categories.push({ id: rootId, parentId: null, name: root, slug: slugify(root), createdAt: new Date(START) });
    for (const child of children) {
      const id = categories.length + 1;
      categories.push({ id, parentId: rootId, name: child, slug: `${slugify(root)}-${slugify(child)}`, createdAt: new Date(START) });
      leafCategoryIds.push(id);
    }
  }

  const products: SeedData['products'] = [];
  const slugs = new Set<string>();
  const inventoryLevels: SeedData['inventoryLevels'] = [];
  for (let id = 1; id <= counts.products; id++) {
    const noun = pick(NOUNS);
    const material = pick(MATERIALS);
    // Prices spread like a real catalogue: many cheap items, few expensive ones.
    const cents = Math.round(Math.exp(Math.log(199) + random() * (Math.log(99_999) - Math.log(199))));
    const roll = random();
    const name = `${pick(ADJECTIVES)} ${material} ${noun} ${between(100, 999)}`;
    products.push({
      id,
      sku: `SKU-${String(id).padStart(6, '0')}`,
      slug: uniqueSlug(productSlug(name), id, slugs),
      name,
      description: `A ${material.toLowerCase()} ${noun.toLowerCase()} for everyday use. Model ${id}.`,
      priceAmount: centsToAmount(BigInt(cents)),
      currency: 'USD',
      status: roll < 0.95 ? 'ACTIVE' : roll < 0.98 ? 'DRAFT' : 'ARCHIVED',
      categoryId: pick(leafCategoryIds),
      unitsSold: 0,
      ratings1: 0,
      ratings2: 0,
      ratings3: 0,
      ratings4: 0,
      ratings5: 0,
      createdAt: timeBetween(START, START + 365 * DAY),
    });
    const stocked = shuffle([...warehouses], random).slice(0, between(1, warehouses.length));
    for (const warehouse of stocked.sort((a, b) => a.id - b.id)) {
      const onHand = random() < 0.1 ? 0 : between(1, 500);
      inventoryLevels.push({ productId: id, warehouseId: warehouse.id, onHand, reserved: Math.min(onHand, between(0, 20)) });
    }
  }

  const customers: SeedData['customers'] = [];
  for (let id = 1; id <= counts.customers; id++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    customers.push({
      id,
      name: `${first} ${last}`,
      email: `${asciiSlug(first)}.${asciiSlug(last)}.${id}@example.com`,
      createdAt: timeBetween(START, END - 30 * DAY),
    });
  }

  const stockByProduct = new Map<number, number[]>();
  for (const level of inventoryLevels) {
    const list = stockByProduct.get(level.productId) ?? [];
    list.push(level.warehouseId);
    stockByProduct.set(level.productId, list);
  }
  const orders: SeedData['orders'] = [];
  const orderItems: SeedData['orderItems'] = [];
  for (let id = 1; id <= counts.orders; id++) {
    // A few customers order a lot: square the draw to skew towards low ids.
    const customer = customers[Math.floor(random() ** 2 * customers.length)]!;
    const createdAt = timeBetween(customer.createdAt.getTime(), END);
    const age = (END - createdAt.getTime()) / DAY;
    const roll = random();
    const status = roll < 0.05 ? 'CANCELLED' : age > 30 ? 'DELIVERED' : age > 7 ? 'SHIPPED' : roll < 0.5 ? 'PAID' : 'PENDING';
    let totalCents = 0n;
    const productIds = new Set<number>();
    const lineCount = between(1, 4);
    while (productIds.size < Math.min(lineCount, products.length)) productIds.add(between(1, products.length));
    for (const productId of productIds) {
      const product = products[productId - 1]!;
      const quantity = between(1, 3);
      totalCents += amountToCents(product.priceAmount) * BigInt(quantity);
      orderItems.push({
        id: orderItems.length + 1,
        orderId: id,
        productId,
        warehouseId: pick(stockByProduct.get(productId)!),
        quantity,
        unitPrice: product.priceAmount,
      });
    }
    orders.push({ id, customerId: customer.id, status, totalAmount: centsToAmount(totalCents), currency: 'USD', createdAt });
  }
  // The maintained counts, as placing orders and adding reviews keep them.
  const cancelled = new Set(orders.filter((order) => order.status === 'CANCELLED').map((order) => order.id));
  for (const item of orderItems) if (!cancelled.has(item.orderId)) products[item.productId - 1]!.unitsSold += item.quantity;

  const reviews: SeedData['reviews'] = [];
  const reviewed = new Set<string>();
  // Pairs repeat more often as they run out; the attempt bound ends tiny scales.
  for (let attempt = 0; reviews.length < counts.reviews && attempt < counts.reviews * 20; attempt++) {
    // Popular products collect most reviews.
    const productId = 1 + Math.floor(random() ** 1.5 * products.length);
    const customerId = between(1, customers.length);
    const pair = `${productId}:${customerId}`;
    if (reviewed.has(pair)) continue;
    reviewed.add(pair);
    const rating = Math.min(5, Math.max(1, Math.round(4.1 + (random() + random() + random() - 1.5) * 2)));
    const product = products[productId - 1]!;
    const customer = customers[customerId - 1]!;
    reviews.push({
      id: reviews.length + 1,
      productId,
      customerId,
      rating,
      body: `${pick(REVIEW_OPENINGS)} ${pick(REVIEW_ENDINGS)}`,
      createdAt: timeBetween(Math.max(product.createdAt.getTime(), customer.createdAt.getTime()), END),
    });
  }

  for (const review of reviews) products[review.productId - 1]![RATING_COUNTS[review.rating - 1]!] += 1;

  return {
    warehouses,
    categories,
    products,
    productImages: productImages(products, seed),
    inventoryLevels,
    customers,
    orders,
    orderItems,
    reviews,
  };
}

const RATING_COUNTS = ['ratings1', 'ratings2', 'ratings3', 'ratings4', 'ratings5'] as const;

/**
 * One to three placeholder pictures per product, from a generator of their own, so the rows
 * drawn before images existed stay the same.
 */
function productImages(products: SeedData['products'], seed: number): SeedData['productImages'] {
  const random = mulberry32(seed ^ 0x1a9e5);
  const images: SeedData['productImages'] = [];
  for (const product of products) {
    const count = 1 + Math.floor(random() * 3);
    for (let position = 1; position <= count; position++) {
      const [width, height] = position === 1 ? [800, 800] : [1200, 800];
      images.push({
        id: images.length + 1,
        productId: product.id,
        position,
        url: `https://placehold.co/${width}x${height}.png?text=${encodeURIComponent(product.sku)}`,
        altText: position === 1 ? product.name : `${product.name}, view ${position}`,
        width,
        height,
      });
    }
  }
  return images;
}

/** Fisher-Yates, driven by the seeded generator (a random sort comparator is not uniform). */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A small, fast, seedable PRNG (Mulberry32): Math.random cannot be seeded. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A product's slug as the store gives it (CatalogStore.createProduct): its name's, or with its id after it when taken. */
function uniqueSlug(base: string, id: number, taken: Set<string>): string {
  const slug = taken.has(base) ? `${base}-${id}` : base;
  taken.add(slug);
  return slug;
}

function slugify(text: string): string {
  return asciiSlug(text).replace(/-+/g, '-');
}

function asciiSlug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
