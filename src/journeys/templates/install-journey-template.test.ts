import { describe, expect, it } from 'vitest';
import { createForm } from '../../forms/forms.ts';
import { createVirtualClock } from '../../platform/clock.ts';
import { useTestDatabase } from '../../platform/db/test-database.ts';
import { KizunaError } from '../../platform/errors.ts';
import { createSegment } from '../../segments/segments.ts';
import { createTestWorkspace } from '../../server/test-app.ts';
import { getJourney } from '../journeys.ts';
import { listJourneyTemplates } from './catalog.ts';
import { installJourneyTemplate } from './install-journey-template.ts';

const database = useTestDatabase();

async function setup() {
  const { db } = database.current;
  const clock = createVirtualClock(new Date('2026-04-01T01:00:00Z'));
  const { workspaceId } = await createTestWorkspace(database.current, clock);
  const form = await createForm(db, workspaceId, { name: '登録', fields: [{ key: 'email', label: 'メール', type: 'email' }] }, clock);
  const segment = await createSegment(
    db,
    workspaceId,
    { name: 'Leads', definition: { condition: { type: 'field', field: 'lifecycleStage', operator: 'eq', value: 'Lead' } } },
    clock,
  );
  const install = (key: string, options: Record<string, unknown>, publish = true) =>
    installJourneyTemplate(db, workspaceId, key, clock, { options, publish });
  return { db, clock, workspaceId, form, segment, install };
}

describe('journey templates', () => {
  it('lists the eight seed templates with their names, descriptions and options', () => {
    const catalog = listJourneyTemplates();
    expect(catalog.map((t) => t.key)).toEqual([
      'welcome',
      'nurture',
      'reengagement',
      'cart_abandonment',
      'webinar',
      'trial_onboarding',
      'mql_handoff',
      'pricing_interest',
    ]);
    const cart = catalog.find((t) => t.key === 'cart_abandonment')!;
    expect(cart.name).toEqual({ ja: 'カート放棄フォロー', en: 'Abandoned cart' });
    expect(cart.options.find((o) => o.name === 'couponCode')).toMatchObject({ required: true });
    expect(cart.options.find((o) => o.name === 'discountPercent')).toMatchObject({ required: false, default: 10 });
    expect(catalog.find((t) => t.key === 'nurture')!.fields).toEqual(['buying_stage']);
  });

  it('installs every template published: email templates compile and the journeys pass the publish checks', async () => {
    const { db, workspaceId, form, segment, install } = await setup();
    const site = 'https://www.example.jp/';
    const options: Record<string, Record<string, unknown>> = {
      welcome: { formId: form.id, siteUrl: site },
      nurture: { segmentId: segment.id, siteUrl: site },
      reengagement: { segmentId: segment.id, siteUrl: site },
      cart_abandonment: { couponCode: 'COMEBACK10' },
      webinar: { webinarId: 'w-1', recordingUrl: 'https://www.example.jp/webinars/w-1/recording' },
      trial_onboarding: { appUrl: 'https://app.example.jp/' },
      mql_handoff: {},
      pricing_interest: { pricingDocumentUrl: 'https://www.example.jp/pricing.pdf', demoUrl: 'https://www.example.jp/demo' },
    };
    for (const { key } of listJourneyTemplates()) {
      const installed = await install(key, options[key]!);
      expect(installed.status, key).toBe('active');
      const journey = await getJourney(db, workspaceId, installed.journeyId);
      expect(journey.publishedVersion, key).toBe(1);
      const templates = await db
        .selectFrom('templates')
        .select(['id', 'published_version'])
        .where('id', 'in', Object.values(installed.templateIds))
        .execute();
      expect(
        templates.every((t) => t.published_version === 1),
        key,
      ).toBe(true);
    }
    const fields = await db.selectFrom('custom_fields').select('key').where('workspace_id', '=', workspaceId).execute();
    expect(fields.map((f) => f.key)).toEqual(['buying_stage']);
  });

  it('installs a draft by default, and refuses a missing or malformed option naming it, leaving nothing behind', async () => {
    const { db, workspaceId, install } = await setup();
    const draft = await install('cart_abandonment', { couponCode: 'SPRING-5' }, false);
    expect(draft.status).toBe('draft');
    expect((await getJourney(db, workspaceId, draft.journeyId)).status).toBe('draft');

    const missing = await install('cart_abandonment', {}).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(KizunaError);
    expect((missing as KizunaError).code).toBe('invalid_input');
    expect((missing as KizunaError).issues).toEqual([
      {
        path: 'options.couponCode',
        message: 'the cart_abandonment template needs this option: The coupon in the 24-hour mail (COMEBACK10)',
      },
    ]);
    const bad = (await install('webinar', { webinarId: 'w-1', recordingUrl: 'not a url' }).catch((e: unknown) => e)) as KizunaError;
    expect(bad.issues.map((i) => i.path)).toEqual(['options.recordingUrl']);
    const unknown = (await install('birthday', {}).catch((e: unknown) => e)) as KizunaError;
    expect(unknown.code).toBe('not_found');
    // A journey that fails its publish checks (a form of no workspace) rolls the whole install back.
    const before = await db.selectFrom('templates').select('id').where('workspace_id', '=', workspaceId).execute();
    const refused = (await install('welcome', {
      formId: '00000000-0000-4000-8000-000000000000',
      siteUrl: 'https://www.example.jp/',
    }).catch((e: unknown) => e)) as KizunaError;
    expect(refused.code).toBe('invalid_input');
    expect(refused.issues.map((i) => i.path)).toEqual(['draft.trigger.formId']);
    const after = await db.selectFrom('templates').select('id').where('workspace_id', '=', workspaceId).execute();
    expect(after).toHaveLength(before.length);
  });
});
