import type { Kysely } from 'kysely';
import { createForm } from '../forms/forms.ts';
import { installJourneyTemplate } from '../journeys/templates/install-journey-template.ts';
import type { Clock } from '../platform/clock.ts';
import type { DB } from '../platform/db/schema.ts';
import type { DemoDefinitions } from './demo-definitions.ts';
import { webinarsOf } from './generate-behaviour.ts';

export const DEMO_SITE = 'https://www.kizuna-demo.example/';

export interface DemoJourneys {
  /** The sign-up form whose submissions start the welcome series. */
  formId: string;
  journeyIds: string[];
}

/**
 * The seed journey templates, installed and published before any contact exists: welcome (on the
 * sign-up form), nurture by buying stage (on entering the Warm band), re-engagement (on going
 * idle 60 days), one webinar series per webinar of the window, the MQL handoff and pricing interest.
 */
export async function installDemoJourneys(
  db: Kysely<DB>,
  workspaceId: string,
  clock: Clock,
  definitions: DemoDefinitions,
  { days }: { days: number },
): Promise<DemoJourneys> {
  const form = await createForm(
    db,
    workspaceId,
    {
      name: '無料トライアル・ニュースレター登録 / Sign up',
      fields: [
        { key: 'email', label: 'メールアドレス / Email', type: 'email', required: true },
        { key: 'lastName', label: '姓 / Last name' },
        { key: 'firstName', label: '名 / First name' },
        { key: 'companyName', label: '会社名 / Company' },
      ],
      consent: { wording: '製品情報のご案内メールを受け取ることに同意します / I agree to receive product news by email' },
      submitLabel: '登録する / Sign up',
      successMessage: 'ご登録ありがとうございます / Thank you for signing up',
    },
    clock,
  );
  const install = async (key: string, options: Record<string, unknown>) =>
    (await installJourneyTemplate(db, workspaceId, key, clock, { options, publish: true })).journeyId;
  const journeyIds = [
    await install('welcome', { formId: form.id, siteUrl: DEMO_SITE }),
    await install('nurture', { segmentId: definitions.segments.warm, siteUrl: DEMO_SITE }),
    await install('reengagement', { segmentId: definitions.segments.idle_60, siteUrl: DEMO_SITE }),
  ];
  for (const webinar of webinarsOf(days))
    journeyIds.push(
      await install('webinar', {
        webinarId: webinar.id,
        recordingUrl: new URL(`webinars/${webinar.id}/recording`, DEMO_SITE).href,
        materialsUrl: new URL(`webinars/${webinar.id}/slides.pdf`, DEMO_SITE).href,
      }),
    );
  // MQLs are handed to sales by the lifecycle's own handoff (demo-definitions.ts); the mql_handoff
  // template would hand them over a second time.
  journeyIds.push(
    await install('pricing_interest', {
      pricingDocumentUrl: new URL('pricing/kizuna-pricing.pdf', DEMO_SITE).href,
      demoUrl: new URL('demo', DEMO_SITE).href,
    }),
  );
  return { formId: form.id, journeyIds };
}
