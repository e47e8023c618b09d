import { describe, expect, it } from 'vitest';
import { generateSeedData } from '../../src/db/seed/index.js';

describe('demo data', () => {
  it('is the same, row for row, for the same scale and seed', () => {
    expect(generateSeedData({ scale: 0.02, seed: 1 })).toEqual(generateSeedData({ scale: 0.02, seed: 1 }));
  });

  it('differs for another seed', () => {
    expect(generateSeedData({ scale: 0.02, seed: 1 }).products).not.toEqual(generateSeedData({ scale: 0.02, seed: 2 }).products);
  });

  it('has the promised size at scale 1', () => {
    const data = generateSeedData({ scale: 1, seed: 42 });
    expect(data.products).toHaveLength(10_000);
    expect(data.customers).toHaveLength(5_000);
    expect(data.orders).toHaveLength(20_000);
    expect(data.reviews).toHaveLength(30_000);
  });

  it('keeps the rules the database enforces', () => {
    const data = generateSeedData({ scale: 0.1, seed: 3 });
    expect(new Set(data.products.map((p) => p.sku)).size).toBe(data.products.length);
    expect(new Set(data.customers.map((c) => c.email.toLowerCase())).size).toBe(data.customers.length);
    expect(new Set(data.reviews.map((r) => `${r.productId}:${r.customerId}`)).size).toBe(data.reviews.length);
    expect(data.reviews.every((r) => r.rating >= 1 && r.rating <= 5)).toBe(true);
    expect(data.inventoryLevels.every((l) => l.onHand >= 0 && l.reserved >= 0 && l.reserved <= l.onHand)).toBe(true);
  });

  it('gives every order the sum of its items as total', () => {
    const data = generateSeedData({ scale: 0.02, seed: 5 });
    const cents = new Map<number, number>();
    for (const item of data.orderItems)
      cents.set(item.orderId, (cents.get(item.orderId) ?? 0) + Math.round(Number(item.unitPrice) * 100) * item.quantity);
    for (const order of data.orders) expect(Math.round(Number(order.totalAmount) * 100)).toBe(cents.get(order.id));
  });
});
