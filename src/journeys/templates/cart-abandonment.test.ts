import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { createTemplateWorld, HOUR, useMailSink } from './template-test-kit.ts';

const database = useTestDatabase();
const mail = useMailSink();

const cart = (cartId: string) => ({
  cartId,
  cartUrl: `https://shop.example.jp/cart/${cartId}`,
  items: [
    { name: '有機ほうじ茶 100g', quantity: 2 },
    { name: '急須 (常滑焼)', quantity: 1 },
  ],
});

describe('the cart abandonment template', () => {
  it('reminds at 1 h, sends the coupon at 24 h and the last chance at 3 days; a shopper who buys after the reminder gets nothing more', async () => {
    // Wednesday 2026-04-01 10:00 in Tokyo.
    const world = await createTemplateWorld(database.current, mail, '2026-04-01T01:00:00Z');
    const { journeyId, templateIds } = await world.install('cart_abandonment', { couponCode: 'COMEBACK10', discountPercent: 15 });
    const buyer = await world.identify('buyer@example.jp');
    const browser = await world.identify('browser@example.com', { firstName: 'Alex', lastName: 'Smith', locale: 'en' });
    await world.track('buyer@example.jp', 'Cart Abandoned', cart('c-1'));
    await world.track('browser@example.com', 'Cart Abandoned', cart('c-2'));

    await world.advanceTo('2026-04-01T02:00:00Z');
    expect(world.inbox('buyer@example.jp')).toEqual(['カートに商品が残っています']);
    expect(world.inbox('browser@example.com')).toEqual(['You left something in your cart']);
    // The buyer orders two hours after the reminder: converted at once.
    world.clock.set(new Date('2026-04-01T04:00:00Z'));
    await world.track('buyer@example.jp', 'Order Completed', { orderId: 'o-1', cartId: 'c-1' });
    await world.run();
    expect(await world.enrolment(buyer, journeyId)).toMatchObject({ status: 'converted', end_reason: 'goal purchased' });

    await world.advanceTo('2026-04-05T00:00:00Z');
    expect(await world.sent(buyer, templateIds)).toEqual(['reminder 2026-04-01T02:00:00.000Z']);
    expect(await world.sent(browser, templateIds)).toEqual([
      'reminder 2026-04-01T02:00:00.000Z',
      'coupon 2026-04-02T01:00:00.000Z',
      'last_chance 2026-04-04T01:00:00.000Z',
    ]);
    expect(world.inbox('buyer@example.jp')).toEqual(['カートに商品が残っています']);
    expect(world.inbox('browser@example.com')).toEqual([
      'You left something in your cart',
      'Here is 15% off your cart',
      'Last chance: your cart and coupon expire soon',
    ]);
    expect(await world.enrolment(browser, journeyId)).toMatchObject({ status: 'completed' });
    // The coupon mail: the code, the cart's items and link, the name, a way out.
    const coupon = mail.sink.list({ workspaceId: world.workspaceId }).find((m) => m.subject === 'Here is 15% off your cart')!;
    expect(coupon.html).toContain('COMEBACK10');
    expect(coupon.html).toContain('有機ほうじ茶 100g × 2');
    expect(coupon.html).toContain('Hi Alex,');
    expect(coupon.text).toContain('https://shop.example.jp/cart/c-2');
    expect(coupon.headers['list-unsubscribe']).toBeDefined();

    // The same cart again enrols nobody; the shopper's next cart does.
    await world.track('browser@example.com', 'Cart Abandoned', cart('c-2'));
    await world.advance(2 * HOUR);
    expect(world.inbox('browser@example.com')).toHaveLength(3);
    await world.track('browser@example.com', 'Cart Abandoned', cart('c-3'));
    await world.advance(HOUR);
    expect(world.inbox('browser@example.com')).toHaveLength(4);
    expect(mail.sink.list({ workspaceId: world.workspaceId })).toHaveLength(5);
  });
});
