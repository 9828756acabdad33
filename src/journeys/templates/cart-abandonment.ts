import { z } from '@hono/zod-openapi';
import { defineJourneyTemplate } from './journey-template.ts';

const ITEMS =
  '{% if event.items.size > 0 %}<ul>{% for item in event.items %}<li>{{ item.name }} × {{ item.quantity | default: 1 }}</li>{% endfor %}</ul>{% endif %}';
const CART_URL = '{{ event.cartUrl }}';

/** Seed 000/003/004: a reminder an hour after the cart is left, a coupon at 24 hours, a last chance at 3 days; buying ends it. */
export const cartAbandonment = defineJourneyTemplate({
  key: 'cart_abandonment',
  name: { ja: 'カート放棄フォロー', en: 'Abandoned cart' },
  description: {
    ja: 'カートに商品を残したまま離脱した方へ、1時間後にリマインド、24時間後にクーポン、3日後に最終案内を送ります。購入した時点で終了します。イベントのプロパティ cartId・cartUrl・items（name, quantity）を使います。',
    en: 'Reminds shoppers who left items in their cart after 1 hour, sends a coupon at 24 hours and a last chance at 3 days. Buying ends it at once. Uses the event properties cartId, cartUrl and items (name, quantity).',
  },
  options: z
    .object({
      couponCode: z
        .string()
        .regex(/^[A-Za-z0-9_-]{3,40}$/, 'expected a coupon code of 3–40 letters, digits, _ or -')
        .describe('The coupon in the 24-hour mail (COMEBACK10)'),
      discountPercent: z.number().int().min(1).max(90).default(10).describe('The coupon’s discount, in percent'),
      abandonedEvent: z.string().min(1).max(200).default('Cart Abandoned').describe('The track event that starts the journey'),
      purchaseEvent: z.string().min(1).max(200).default('Order Completed').describe('The track event that ends it (the goal)'),
    })
    .strict(),
  emails: (o) => ({
    reminder: {
      name: { ja: 'カート放棄: 1時間後のリマインド', en: 'Abandoned cart: 1-hour reminder' },
      kind: 'marketing',
      ja: {
        subject: 'カートに商品が残っています',
        preheader: 'お選びいただいた商品はまだカートに保存されています。',
        heading: 'お買い物の途中ではありませんか？',
        paragraphs: ['お選びいただいた商品をカートに保存しています。', ITEMS, 'ご不明な点があれば、このメールにそのままご返信ください。'],
        cta: { label: 'カートに戻る', url: CART_URL },
      },
      en: {
        subject: 'You left something in your cart',
        preheader: 'Your items are still saved in your cart.',
        heading: 'Still thinking it over?',
        paragraphs: ['We saved the items you picked:', ITEMS, 'Questions? Just reply to this email.'],
        cta: { label: 'Back to my cart', url: CART_URL },
      },
    },
    coupon: {
      name: { ja: 'カート放棄: 24時間後のクーポン', en: 'Abandoned cart: 24-hour coupon' },
      kind: 'marketing',
      ja: {
        subject: `${o.discountPercent}% OFF クーポンをお届けします`,
        preheader: 'カートの商品に使えるクーポンです。',
        heading: `カートの商品が ${o.discountPercent}% OFF`,
        paragraphs: [ITEMS, `ご購入の際にクーポンコード <strong>${o.couponCode}</strong> をご入力ください。`],
        cta: { label: 'クーポンを使って購入する', url: CART_URL },
      },
      en: {
        subject: `Here is ${o.discountPercent}% off your cart`,
        preheader: 'A coupon for the items in your cart.',
        heading: `${o.discountPercent}% off what you picked`,
        paragraphs: [ITEMS, `Enter the code <strong>${o.couponCode}</strong> at checkout.`],
        cta: { label: 'Use my coupon', url: CART_URL },
      },
    },
    last_chance: {
      name: { ja: 'カート放棄: 3日後の最終案内', en: 'Abandoned cart: last chance at 3 days' },
      kind: 'marketing',
      ja: {
        subject: '【最終のご案内】カートの商品とクーポンの期限が近づいています',
        preheader: `クーポン ${o.couponCode} はまもなく使えなくなります。`,
        heading: 'まもなく保存期限です',
        paragraphs: [ITEMS, `在庫や価格は変わることがあります。クーポン <strong>${o.couponCode}</strong> もお早めにどうぞ。`],
        cta: { label: '今すぐ購入する', url: CART_URL },
      },
      en: {
        subject: 'Last chance: your cart and coupon expire soon',
        preheader: `Your coupon ${o.couponCode} is about to expire.`,
        heading: 'Your cart is about to expire',
        paragraphs: [ITEMS, `Stock and prices may change. Your code <strong>${o.couponCode}</strong> still works — for now.`],
        cta: { label: 'Check out now', url: CART_URL },
      },
    },
  }),
  build: (t, o) => ({
    trigger: { type: 'event', selector: { event: o.abandonedEvent } },
    start: 'wait_1h',
    nodes: [
      { id: 'wait_1h', type: 'wait', duration: { hours: 1 }, next: 'reminder' },
      { id: 'reminder', type: 'send', templateId: t.reminder, next: 'wait_24h' },
      { id: 'wait_24h', type: 'wait', label: '24 hours after the cart was left', duration: { hours: 23 }, next: 'coupon' },
      { id: 'coupon', type: 'send', templateId: t.coupon, next: 'wait_3d' },
      { id: 'wait_3d', type: 'wait', label: '3 days after the cart was left', duration: { days: 2 }, next: 'last_chance' },
      { id: 'last_chance', type: 'send', templateId: t.last_chance },
    ],
    goals: [{ name: 'purchased', selector: { event: o.purchaseEvent } }],
    // Each cart once; a new cart while one is followed up waits for the next abandonment.
    reentry: { policy: 'every_time', eventKey: 'cartId', maxConcurrent: 1 },
  }),
});
