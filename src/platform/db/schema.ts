import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Kysely's view of our tables; the SQL migrations next to this file are the source of truth. */
export interface DB {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  companies: CompaniesTable;
  contacts: ContactsTable;
  contact_external_ids: ContactExternalIdsTable;
  custom_fields: CustomFieldsTable;
  imports: ImportsTable;
  import_issues: ImportIssuesTable;
  jobs: JobsTable;
  events: EventsTable;
  event_message_ids: EventMessageIdsTable;
  contact_anonymous_ids: ContactAnonymousIdsTable;
  contact_merges: ContactMergesTable;
  instance_secrets: InstanceSecretsTable;
  forms: FormsTable;
  form_submissions: FormSubmissionsTable;
  consents: ConsentsTable;
  segments: SegmentsTable;
  segment_versions: SegmentVersionsTable;
  segment_members: SegmentMembersTable;
  segment_checks: SegmentChecksTable;
  lists: ListsTable;
  list_members: ListMembersTable;
  signals: SignalsTable;
  scoring_models: ScoringModelsTable;
  scoring_model_versions: ScoringModelVersionsTable;
  contact_scores: ContactScoresTable;
  score_ledger: ScoreLedgerTable;
  score_checks: ScoreChecksTable;
  score_adjustments: ScoreAdjustmentsTable;
  lifecycle_settings: LifecycleSettingsTable;
  lifecycle_versions: LifecycleVersionsTable;
  lifecycle_transitions: LifecycleTransitionsTable;
  handoffs: HandoffsTable;
  tasks: TasksTable;
  owner_assignments: OwnerAssignmentsTable;
  owner_notifications: OwnerNotificationsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  templates: TemplatesTable;
  template_versions: TemplateVersionsTable;
  suppressions: SuppressionsTable;
  campaigns: CampaignsTable;
  deliveries: DeliveriesTable;
  sending_settings: SendingSettingsTable;
  sms_opt_outs: SmsOptOutsTable;
  journeys: JourneysTable;
  journey_versions: JourneyVersionsTable;
  journey_enrolments: JourneyEnrolmentsTable;
  journey_steps: JourneyStepsTable;
  journey_event_keys: JourneyEventKeysTable;
  journey_inbox: JourneyInboxTable;
  subscription_topics: SubscriptionTopicsTable;
  topic_preferences: TopicPreferencesTable;
  contact_preferences: ContactPreferencesTable;
  optin_confirmations: OptinConfirmationsTable;
  schema_migrations: SchemaMigrationsTable;
}

/** jsonb: read as an object, written as JSON text (node-postgres would send arrays as PG arrays). */
type Json = ColumnType<Record<string, unknown>, string | undefined, string>;
type JsonOrNull = ColumnType<Record<string, unknown> | null, string | null, string | null>;

export interface WorkspacesTable {
  id: string;
  name: string;
  default_region: Generated<string>;
  timezone: Generated<string>;
  locale: Generated<string>;
  created_at: Date;
}

export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  name: string;
  scope: 'admin' | 'read' | 'write';
  prefix: string;
  key_hash: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface CompaniesTable {
  id: string;
  workspace_id: string;
  name: string;
  name_key: string;
  domain: string | null;
  industry: string | null;
  employee_count: number | null;
  revenue_band: string | null;
  country: string | null;
  custom: Json;
  created_at: Date;
  updated_at: Date;
}

export interface ContactsTable {
  id: string;
  workspace_id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  first_name_kana: string | null;
  last_name_kana: string | null;
  name_order: Generated<'given_first' | 'family_first'>;
  phone: string | null;
  job_title: string | null;
  role_level: string | null;
  department: string | null;
  industry: string | null;
  company_id: string | null;
  company_name: string | null;
  employee_count: number | null;
  country: string | null;
  region: string | null;
  timezone: string | null;
  locale: string | null;
  owner: string | null;
  tags: Generated<string[]>;
  lifecycle_stage: string | null;
  first_touch: JsonOrNull;
  last_touch: JsonOrNull;
  first_seen_at: Date | null;
  last_seen_at: Date | null;
  custom: Json;
  traits: Json;
  created_at: Date;
  updated_at: Date;
}

export interface ContactExternalIdsTable {
  workspace_id: string;
  source: string;
  external_id: string;
  contact_id: string;
}

export interface CustomFieldsTable {
  workspace_id: string;
  entity: 'contact' | 'company';
  key: string;
  label: string;
  type: 'text' | 'number' | 'boolean' | 'date' | 'enum' | 'multi_enum';
  options: Generated<string[]>;
  created_at: Date;
}

export interface ImportsTable {
  id: string;
  workspace_id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  filename: string;
  source: Buffer | null;
  encoding: string | null;
  mapping: JsonOrNull;
  options: Json;
  total_rows: Generated<number>;
  processed_rows: Generated<number>;
  created_count: Generated<number>;
  updated_count: Generated<number>;
  unchanged_count: Generated<number>;
  merged_count: Generated<number>;
  rejected_count: Generated<number>;
  warning_count: Generated<number>;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface ImportIssuesTable {
  import_id: string;
  seq: number;
  line: number;
  kind: 'rejected' | 'warning' | 'conflict' | 'merged';
  field: string | null;
  message: string;
  value: string | null;
}

export interface JobsTable {
  id: Generated<string>;
  workspace_id: string | null;
  kind: string;
  key: string;
  payload: Json;
  status: Generated<'pending' | 'running' | 'done' | 'failed'>;
  run_at: Date;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export type EventType = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';

export interface EventsTable {
  workspace_id: string;
  id: string;
  message_id: string;
  type: EventType;
  name: string | null;
  contact_id: string | null;
  anonymous_id: string | null;
  user_id: string | null;
  properties: Json;
  traits: JsonOrNull;
  context: Json;
  occurred_at: Date;
  received_at: Date;
  sent_at: Date | null;
}

export interface EventMessageIdsTable {
  workspace_id: string;
  message_id: string;
  received_at: Date;
}

export interface ContactAnonymousIdsTable {
  workspace_id: string;
  anonymous_id: string;
  contact_id: string;
  created_at: Date;
}

export interface ContactMergesTable {
  id: string;
  workspace_id: string;
  winner_id: string;
  loser_id: string;
  reason: string;
  loser: Json;
  merged_at: Date;
}

export interface InstanceSecretsTable {
  name: string;
  value: string;
  created_at: Date;
}

export interface FormsTable {
  id: string;
  workspace_id: string;
  name: string;
  definition: Json;
  created_at: Date;
  updated_at: Date;
}

export interface FormSubmissionsTable {
  id: string;
  workspace_id: string;
  form_id: string;
  contact_id: string | null;
  anonymous_id: string | null;
  data: Json;
  ip: string | null;
  user_agent: string | null;
  submitted_at: Date;
}

export interface ConsentsTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  purpose: string;
  granted: boolean;
  wording: string;
  source: string;
  ip: string | null;
  recorded_at: Date;
}

export interface SegmentsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  draft: Json;
  published_version: number | null;
  archived_at: Date | null;
  build_state: Generated<'idle' | 'queued' | 'running' | 'failed'>;
  build_phase: string | null;
  build_total: number | null;
  build_matched: number | null;
  build_entered: number | null;
  build_exited: number | null;
  build_error: string | null;
  built_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface SegmentVersionsTable {
  segment_id: string;
  version: number;
  definition: Json;
  published_at: Date;
}

export interface SegmentMembersTable {
  workspace_id: string;
  segment_id: string;
  contact_id: string;
  version: number;
  entered_at: Date;
  enter_cause: string;
  exited_at: Date | null;
  exit_cause: string | null;
}

export interface SegmentChecksTable {
  workspace_id: string;
  segment_id: string;
  contact_id: string;
  due_at: Date;
}

export interface ListsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ListMembersTable {
  workspace_id: string;
  list_id: string;
  contact_id: string;
  added_at: Date;
}

export interface SignalsTable {
  id: Generated<string>;
  workspace_id: string;
  kind: string;
  contact_id: string;
  subject_id: string;
  data: Json;
  occurred_at: Date;
}

export interface ScoringModelsTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  draft: Json;
  published_version: number | null;
  archived_at: Date | null;
  build_state: Generated<'idle' | 'queued' | 'running' | 'failed'>;
  build_error: string | null;
  built_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ScoringModelVersionsTable {
  model_id: string;
  version: number;
  definition: Json;
  published_at: Date;
}

export interface ContactScoresTable {
  workspace_id: string;
  model_id: string;
  contact_id: string;
  version: number;
  score: number;
  band: string | null;
  points: ColumnType<Record<string, number>, string, string>;
  /** Where the replay of the contact's scored events stands (`ReplayState`); null: replay in full. */
  replay: ColumnType<unknown | null, string | null | undefined, string | null>;
  /** The time (ms) and id of the last event the replay read. */
  replay_seen_at: number | null;
  replay_seen_id: string | null;
  updated_at: Date;
}

export interface ScoreLedgerTable {
  id: Generated<string>;
  workspace_id: string;
  model_id: string;
  contact_id: string;
  version: number;
  rule: string;
  delta: number;
  reason: string;
  cause: string;
  event_id: string | null;
  recorded_at: Date;
}

export interface ScoreAdjustmentsTable {
  id: Generated<string>;
  workspace_id: string;
  model_id: string;
  contact_id: string;
  line: string;
  points: number;
  reason: string;
  cause: string;
  adjusted_at: Date;
}

export interface ScoreChecksTable {
  workspace_id: string;
  model_id: string;
  contact_id: string;
  due_at: Date;
}

export interface LifecycleSettingsTable {
  workspace_id: string;
  draft: Json;
  published_version: number | null;
  updated_at: Date;
}

export interface LifecycleVersionsTable {
  workspace_id: string;
  version: number;
  definition: Json;
  published_at: Date;
}

export interface LifecycleTransitionsTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  from_stage: string | null;
  to_stage: string | null;
  cause: string;
  rule: string | null;
  reason: string | null;
  occurred_at: Date;
}

export interface HandoffsTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  owner: string;
  assigned_by: string;
  started_at: Date;
  first_touch_due: Date;
  decision_due: Date;
  first_touched_at: Date | null;
  decided_at: Date | null;
  decision: 'accepted' | 'rejected' | null;
  reason_code: string | null;
  reason: string | null;
  first_touch_breached_at: Date | null;
  decision_breached_at: Date | null;
  recycle_due: Date | null;
  recycled_at: Date | null;
}

export interface TasksTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  owner: string;
  title: string;
  notes: string | null;
  due_at: Date | null;
  status: Generated<'open' | 'done' | 'cancelled'>;
  source: 'handoff' | 'api' | 'journey';
  handoff_id: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface OwnerAssignmentsTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  owner: string;
  assigned_by: string;
  cause: string;
  assigned_at: Date;
}

export type OwnerNotificationKind = 'handoff.assigned' | 'handoff.sla_breached' | 'owner.notified';
export type OwnerNotificationStatus = 'queued' | 'sending' | 'sent' | 'failed';

export interface OwnerNotificationsTable {
  id: string;
  workspace_id: string;
  contact_id: string | null;
  to_email: string;
  kind: OwnerNotificationKind;
  facts: Json;
  subject: string | null;
  text: string | null;
  html: string | null;
  idempotency_key: string;
  status: Generated<OwnerNotificationStatus>;
  attempts: Generated<number>;
  next_attempt_at: Date;
  sent_at: Date | null;
  last_error: string | null;
  created_at: Date;
}

export interface WebhookEndpointsTable {
  id: string;
  workspace_id: string;
  url: string;
  description: string | null;
  secret: string;
  /** The secret before the last rotation, still signing until previous_secret_until. */
  previous_secret: string | null;
  previous_secret_until: Date | null;
  kinds: string[];
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface WebhookDeliveriesTable {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  /** Null for a test event. */
  signal_id: string | null;
  kind: string;
  payload: Json;
  status: Generated<'pending' | 'delivered' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

export interface TemplatesTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  draft: Json;
  published_version: number | null;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface TemplateVersionsTable {
  template_id: string;
  version: number;
  definition: Json;
  compiled: Json;
  published_at: Date;
}

export type SuppressionReason = 'hard_bounce' | 'complaint' | 'unsubscribe' | 'manual';

export interface SuppressionsTable {
  id: string;
  workspace_id: string;
  email: string;
  contact_id: string | null;
  reason: SuppressionReason;
  source: string;
  detail: string | null;
  created_at: Date;
  lifted_at: Date | null;
  lifted_by: string | null;
}

export interface SubscriptionTopicsTable {
  id: string;
  workspace_id: string;
  key: string;
  name_ja: string;
  name_en: string;
  description: string | null;
  default_subscribed: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface TopicPreferencesTable {
  workspace_id: string;
  contact_id: string;
  topic_id: string;
  subscribed: boolean;
  source: string;
  updated_at: Date;
}

export type Frequency = 'all' | 'weekly' | 'monthly';

export interface ContactPreferencesTable {
  contact_id: string;
  workspace_id: string;
  frequency: Frequency;
  source: string;
  updated_at: Date;
}

export interface OptinConfirmationsTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  email: string;
  topics: string[];
  wording: string;
  source: string;
  requested_at: Date;
  requested_ip: string | null;
  expires_at: Date;
  confirmed_at: Date | null;
  confirmed_ip: string | null;
}

export type CampaignStatus = 'draft' | 'scheduled' | 'testing' | 'sending' | 'sent' | 'cancelled';

export interface CampaignsTable {
  id: string;
  workspace_id: string;
  name: string;
  status: CampaignStatus;
  definition: Json;
  scheduled_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  ab_result: Json | null;
  next_step_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type DeliveryChannel = 'email' | 'sms' | 'webhook';
export type DeliveryStatus =
  | 'queued'
  | 'sending'
  | 'deferred'
  | 'sent'
  | 'failed'
  | 'skipped'
  | 'bounced'
  | 'soft_bounced'
  | 'opened'
  | 'clicked'
  | 'unsubscribed'
  | 'complained';

export interface DeliveriesTable {
  id: string;
  workspace_id: string;
  contact_id: string | null;
  channel: DeliveryChannel;
  kind: 'marketing' | 'transactional';
  campaign_id: string | null;
  source: string;
  dedupe_key: string | null;
  template_id: string | null;
  template_version: number | null;
  variant: string | null;
  topic: string | null;
  priority: Generated<number>;
  content: Json | null;
  context: Json | null;
  to_address: string | null;
  status: DeliveryStatus;
  due_at: Date;
  attempts: Generated<number>;
  reason: string | null;
  error: string | null;
  message_id: string | null;
  provider_response: string | null;
  created_at: Date;
  /** When the claiming worker handed it to SMTP (or SMS, webhook); null: never handed since the claim. */
  handed_at: Date | null;
  sent_at: Date | null;
  opened_at: Date | null;
  machine_opened_at: Date | null;
  clicked_at: Date | null;
  bounced_at: Date | null;
  complained_at: Date | null;
  unsubscribed_at: Date | null;
}

export interface SendingSettingsTable {
  workspace_id: string;
  definition: Json;
  updated_at: Date;
}

export type SmsOptOutSource = 'inbound' | 'api' | 'provider';

export interface SmsOptOutsTable {
  id: string;
  workspace_id: string;
  phone: string;
  source: SmsOptOutSource;
  keyword: string | null;
  message_sid: string | null;
  detail: string | null;
  created_at: Date;
  lifted_at: Date | null;
  lifted_by: string | null;
}

export type JourneyStatus = 'draft' | 'active' | 'paused' | 'archived';

export interface JourneysTable {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  status: JourneyStatus;
  draft: Json;
  published_version: number | null;
  /** Date triggers: occurrences up to this time have been enrolled. */
  date_scanned_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface JourneyVersionsTable {
  journey_id: string;
  version: number;
  definition: Json;
  published_at: Date;
}

export type EnrolmentStatus = 'active' | 'completed' | 'exited' | 'converted' | 'failed';

export interface JourneyEnrolmentsTable {
  id: string;
  workspace_id: string;
  journey_id: string;
  version: number;
  contact_id: string;
  status: EnrolmentStatus;
  node_id: string;
  wake_at: Date | null;
  waiting_for: string | null;
  /** The wait_for's timeout (a condition wait wakes before it to re-check). */
  wait_deadline: Date | null;
  /** System faults in a row at the current node (retried with backoff), and the latest. */
  attempts: Generated<number>;
  last_error: string | null;
  event_key: string | null;
  context: Generated<Record<string, unknown>> | Json;
  steps: Generated<number>;
  entered_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
}

export interface JourneyStepsTable {
  id: Generated<string>;
  workspace_id: string;
  enrolment_id: string;
  journey_id: string;
  node_id: string;
  outcome: string;
  detail: Json;
  at: Date;
}

export interface JourneyEventKeysTable {
  workspace_id: string;
  journey_id: string;
  event_key: string;
}

export interface JourneyInboxTable {
  id: Generated<string>;
  workspace_id: string;
  contact_id: string;
  event_id: string;
  event_key: string;
  type: string;
  name: string | null;
  properties: Json;
  occurred_at: Date;
}

export interface SchemaMigrationsTable {
  version: string;
  applied_at: Date;
}

export type ContactRow = Selectable<ContactsTable>;
export type NewContactRow = Insertable<ContactsTable>;
export type ContactRowUpdate = Updateable<ContactsTable>;
export type CompanyRow = Selectable<CompaniesTable>;
export type EventRow = Selectable<EventsTable>;
