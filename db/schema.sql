--
-- PostgreSQL database dump
--

--
-- Name: journey_inbox_fan_in(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.journey_inbox_fan_in() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  INSERT INTO journey_inbox (workspace_id, contact_id, event_id, event_key, type, name, properties, occurred_at)
  SELECT n.workspace_id, n.contact_id, n.id, k.event_key, n.type, n.name, n.properties, n.occurred_at
  FROM new_rows n
  JOIN LATERAL (SELECT CASE WHEN n.type = 'track' THEN 'event:track:' || n.name ELSE 'event:' || n.type END AS event_key) k ON true
  WHERE n.contact_id IS NOT NULL
    AND EXISTS (SELECT 1 FROM journey_event_keys j WHERE j.workspace_id = n.workspace_id AND j.event_key = k.event_key);
  RETURN NULL;
END $$;

--
-- Name: journey_inbox_signals(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.journey_inbox_signals() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  INSERT INTO journey_inbox (workspace_id, contact_id, event_id, event_key, type, name, properties, occurred_at)
  SELECT n.workspace_id, n.contact_id, gen_random_uuid(), 'signal:' || n.kind, 'signal', n.kind,
    n.data || jsonb_build_object('subjectId', n.subject_id), n.occurred_at
  FROM new_rows n
  WHERE EXISTS (SELECT 1 FROM journey_event_keys j WHERE j.workspace_id = n.workspace_id AND j.event_key = 'signal:' || n.kind);
  RETURN NULL;
END $$;

--
-- Name: journey_steps_follow_enrolments(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.journey_steps_follow_enrolments() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  DELETE FROM journey_steps s USING old_rows o WHERE s.enrolment_id = o.id;
  RETURN NULL;
END $$;

--
-- Name: webhook_fan_out(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.webhook_fan_out() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  -- Most installations have no endpoint: one index probe and done.
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE active) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, signal_id, kind, payload, next_attempt_at, created_at)
  SELECT gen_random_uuid(), s.workspace_id, e.id, s.id, s.kind,
    jsonb_build_object(
      'type', s.kind,
      'timestamp', to_char(s.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'data', jsonb_build_object('contactId', s.contact_id, 'subjectId', s.subject_id) || s.data),
    s.occurred_at, s.occurred_at
  FROM new_signals s
  JOIN webhook_endpoints e ON e.workspace_id = s.workspace_id AND e.active AND s.kind = ANY (e.kinds)
  ON CONFLICT (endpoint_id, signal_id) DO NOTHING;
  RETURN NULL;
END
$$;

--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    scope text NOT NULL,
    prefix text NOT NULL,
    key_hash text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT api_keys_scope_check CHECK ((scope = ANY (ARRAY['admin'::text, 'read'::text, 'write'::text])))
);

--
-- Name: campaigns; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.campaigns (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    status text NOT NULL,
    definition jsonb NOT NULL,
    scheduled_at timestamp with time zone,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    ab_result jsonb,
    next_step_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT campaigns_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'scheduled'::text, 'testing'::text, 'sending'::text, 'sent'::text, 'cancelled'::text])))
);

--
-- Name: companies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.companies (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    name_key text NOT NULL,
    domain text,
    industry text,
    employee_count integer,
    revenue_band text,
    country text,
    custom jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT companies_employee_count_check CHECK ((employee_count >= 0))
);

--
-- Name: consents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consents (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    purpose text NOT NULL,
    granted boolean NOT NULL,
    wording text NOT NULL,
    source text NOT NULL,
    ip text,
    recorded_at timestamp with time zone NOT NULL
);

--
-- Name: contact_anonymous_ids; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contact_anonymous_ids (
    workspace_id uuid NOT NULL,
    anonymous_id text NOT NULL,
    contact_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL
);

--
-- Name: contact_external_ids; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contact_external_ids (
    workspace_id uuid NOT NULL,
    source text NOT NULL,
    external_id text NOT NULL,
    contact_id uuid NOT NULL
);

--
-- Name: contact_merges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contact_merges (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    winner_id uuid NOT NULL,
    loser_id uuid NOT NULL,
    reason text NOT NULL,
    loser jsonb NOT NULL,
    merged_at timestamp with time zone NOT NULL
);

--
-- Name: contact_preferences; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contact_preferences (
    contact_id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    frequency text NOT NULL,
    source text NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT contact_preferences_frequency_check CHECK ((frequency = ANY (ARRAY['all'::text, 'weekly'::text, 'monthly'::text])))
);

--
-- Name: contact_scores; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contact_scores (
    workspace_id uuid NOT NULL,
    model_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    version integer NOT NULL,
    score integer NOT NULL,
    band text,
    points jsonb NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    replay json,
    replay_seen_at double precision,
    replay_seen_id uuid
)
WITH (fillfactor='70');

--
-- Name: contacts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contacts (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    email text,
    first_name text,
    last_name text,
    first_name_kana text,
    last_name_kana text,
    name_order text DEFAULT 'given_first'::text NOT NULL,
    phone text,
    job_title text,
    role_level text,
    department text,
    industry text,
    company_id uuid,
    company_name text,
    employee_count integer,
    country text,
    region text,
    timezone text,
    locale text,
    owner text,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    lifecycle_stage text,
    first_touch jsonb,
    last_touch jsonb,
    first_seen_at timestamp with time zone,
    last_seen_at timestamp with time zone,
    custom jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    traits jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT contacts_employee_count_check CHECK ((employee_count >= 0)),
    CONSTRAINT contacts_name_order_check CHECK ((name_order = ANY (ARRAY['given_first'::text, 'family_first'::text])))
);

--
-- Name: custom_fields; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.custom_fields (
    workspace_id uuid NOT NULL,
    entity text NOT NULL,
    key text NOT NULL,
    label text NOT NULL,
    type text NOT NULL,
    options text[] DEFAULT '{}'::text[] NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT custom_fields_entity_check CHECK ((entity = ANY (ARRAY['contact'::text, 'company'::text]))),
    CONSTRAINT custom_fields_type_check CHECK ((type = ANY (ARRAY['text'::text, 'number'::text, 'boolean'::text, 'date'::text, 'enum'::text, 'multi_enum'::text])))
);

--
-- Name: deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.deliveries (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid,
    channel text NOT NULL,
    kind text NOT NULL,
    campaign_id uuid,
    source text NOT NULL,
    dedupe_key text,
    template_id uuid,
    template_version integer,
    variant text,
    topic text,
    priority smallint DEFAULT 0 NOT NULL,
    content jsonb,
    context jsonb,
    to_address text,
    status text NOT NULL,
    due_at timestamp with time zone NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    reason text,
    error text,
    message_id text,
    provider_response text,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    opened_at timestamp with time zone,
    machine_opened_at timestamp with time zone,
    clicked_at timestamp with time zone,
    bounced_at timestamp with time zone,
    complained_at timestamp with time zone,
    unsubscribed_at timestamp with time zone,
    handed_at timestamp with time zone,
    CONSTRAINT deliveries_channel_check CHECK ((channel = ANY (ARRAY['email'::text, 'sms'::text, 'webhook'::text]))),
    CONSTRAINT deliveries_kind_check CHECK ((kind = ANY (ARRAY['marketing'::text, 'transactional'::text]))),
    CONSTRAINT deliveries_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'sending'::text, 'deferred'::text, 'sent'::text, 'failed'::text, 'skipped'::text, 'bounced'::text, 'soft_bounced'::text, 'opened'::text, 'clicked'::text, 'unsubscribed'::text, 'complained'::text])))
);

--
-- Name: event_message_ids; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.event_message_ids (
    workspace_id uuid NOT NULL,
    message_id text NOT NULL,
    received_at timestamp with time zone NOT NULL
);

--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    workspace_id uuid NOT NULL,
    id uuid NOT NULL,
    message_id text NOT NULL,
    type text NOT NULL,
    name text,
    contact_id uuid,
    anonymous_id text,
    user_id text,
    properties jsonb DEFAULT '{}'::jsonb NOT NULL,
    traits jsonb,
    context jsonb DEFAULT '{}'::jsonb NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    received_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    CONSTRAINT events_type_check CHECK ((type = ANY (ARRAY['identify'::text, 'track'::text, 'page'::text, 'screen'::text, 'group'::text, 'alias'::text])))
)
PARTITION BY RANGE (occurred_at);

--
-- Name: form_submissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.form_submissions (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    form_id uuid NOT NULL,
    contact_id uuid,
    anonymous_id text,
    data jsonb NOT NULL,
    ip text,
    user_agent text,
    submitted_at timestamp with time zone NOT NULL
);

--
-- Name: forms; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.forms (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    definition jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

--
-- Name: handoffs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.handoffs (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    owner text NOT NULL,
    assigned_by text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    first_touch_due timestamp with time zone NOT NULL,
    decision_due timestamp with time zone NOT NULL,
    first_touched_at timestamp with time zone,
    decided_at timestamp with time zone,
    decision text,
    reason_code text,
    reason text,
    first_touch_breached_at timestamp with time zone,
    decision_breached_at timestamp with time zone,
    recycle_due timestamp with time zone,
    recycled_at timestamp with time zone,
    CONSTRAINT handoffs_decision_check CHECK ((decision = ANY (ARRAY['accepted'::text, 'rejected'::text])))
);

--
-- Name: import_issues; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.import_issues (
    import_id uuid NOT NULL,
    seq integer NOT NULL,
    line integer NOT NULL,
    kind text NOT NULL,
    field text,
    message text NOT NULL,
    value text,
    CONSTRAINT import_issues_kind_check CHECK ((kind = ANY (ARRAY['rejected'::text, 'warning'::text, 'conflict'::text, 'merged'::text])))
);

--
-- Name: imports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.imports (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    status text NOT NULL,
    filename text NOT NULL,
    source bytea,
    encoding text,
    mapping jsonb,
    options jsonb DEFAULT '{}'::jsonb NOT NULL,
    total_rows integer DEFAULT 0 NOT NULL,
    processed_rows integer DEFAULT 0 NOT NULL,
    created_count integer DEFAULT 0 NOT NULL,
    updated_count integer DEFAULT 0 NOT NULL,
    unchanged_count integer DEFAULT 0 NOT NULL,
    merged_count integer DEFAULT 0 NOT NULL,
    rejected_count integer DEFAULT 0 NOT NULL,
    warning_count integer DEFAULT 0 NOT NULL,
    error text,
    created_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    CONSTRAINT imports_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'running'::text, 'completed'::text, 'failed'::text])))
);

--
-- Name: instance_secrets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.instance_secrets (
    name text NOT NULL,
    value text NOT NULL,
    created_at timestamp with time zone NOT NULL
);

--
-- Name: jobs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.jobs (
    id bigint NOT NULL,
    workspace_id uuid,
    kind text NOT NULL,
    key text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    run_at timestamp with time zone NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 5 NOT NULL,
    locked_by text,
    locked_until timestamp with time zone,
    last_error text,
    created_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    CONSTRAINT jobs_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'running'::text, 'done'::text, 'failed'::text])))
);

--
-- Name: jobs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.jobs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: journey_enrolments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.journey_enrolments (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    journey_id uuid NOT NULL,
    version integer NOT NULL,
    contact_id uuid NOT NULL,
    status text NOT NULL,
    node_id text NOT NULL,
    wake_at timestamp with time zone,
    waiting_for text,
    event_key text,
    context jsonb DEFAULT '{}'::jsonb NOT NULL,
    steps integer DEFAULT 0 NOT NULL,
    entered_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone,
    end_reason text,
    wait_deadline timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    CONSTRAINT journey_enrolments_status_check CHECK ((status = ANY (ARRAY['active'::text, 'completed'::text, 'exited'::text, 'converted'::text, 'failed'::text])))
);

--
-- Name: journey_event_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.journey_event_keys (
    workspace_id uuid NOT NULL,
    journey_id uuid NOT NULL,
    event_key text NOT NULL
);

--
-- Name: journey_inbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.journey_inbox (
    id bigint NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    event_id uuid NOT NULL,
    event_key text NOT NULL,
    type text NOT NULL,
    name text,
    properties jsonb NOT NULL,
    occurred_at timestamp with time zone NOT NULL
);

--
-- Name: journey_inbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.journey_inbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.journey_inbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: journey_steps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.journey_steps (
    id bigint NOT NULL,
    workspace_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    journey_id uuid NOT NULL,
    node_id text NOT NULL,
    outcome text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    at timestamp with time zone NOT NULL
);

--
-- Name: journey_steps_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.journey_steps ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.journey_steps_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: journey_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.journey_versions (
    journey_id uuid NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    published_at timestamp with time zone NOT NULL
);

--
-- Name: journeys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.journeys (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    status text NOT NULL,
    draft jsonb NOT NULL,
    published_version integer,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    date_scanned_at timestamp with time zone,
    CONSTRAINT journeys_status_check CHECK ((status = ANY (ARRAY['draft'::text, 'active'::text, 'paused'::text, 'archived'::text])))
);

--
-- Name: lifecycle_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.lifecycle_settings (
    workspace_id uuid NOT NULL,
    draft jsonb NOT NULL,
    published_version integer,
    updated_at timestamp with time zone NOT NULL
);

--
-- Name: lifecycle_transitions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.lifecycle_transitions (
    id bigint NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    from_stage text,
    to_stage text,
    cause text NOT NULL,
    rule text,
    reason text,
    occurred_at timestamp with time zone NOT NULL
);

--
-- Name: lifecycle_transitions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.lifecycle_transitions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.lifecycle_transitions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: lifecycle_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.lifecycle_versions (
    workspace_id uuid NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    published_at timestamp with time zone NOT NULL
);

--
-- Name: list_members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.list_members (
    workspace_id uuid NOT NULL,
    list_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    added_at timestamp with time zone NOT NULL
);

--
-- Name: lists; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.lists (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

--
-- Name: optin_confirmations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.optin_confirmations (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    email text NOT NULL,
    topics text[] NOT NULL,
    wording text NOT NULL,
    source text NOT NULL,
    requested_at timestamp with time zone NOT NULL,
    requested_ip text,
    expires_at timestamp with time zone NOT NULL,
    confirmed_at timestamp with time zone,
    confirmed_ip text
);

--
-- Name: owner_assignments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.owner_assignments (
    id bigint NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    owner text NOT NULL,
    assigned_by text NOT NULL,
    cause text NOT NULL,
    assigned_at timestamp with time zone NOT NULL
);

--
-- Name: owner_assignments_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.owner_assignments ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.owner_assignments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: owner_notifications; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.owner_notifications (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid,
    to_email text NOT NULL,
    kind text NOT NULL,
    facts jsonb NOT NULL,
    subject text,
    text text,
    html text,
    idempotency_key text NOT NULL,
    status text DEFAULT 'queued'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    last_error text,
    created_at timestamp with time zone NOT NULL
);

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: score_adjustments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.score_adjustments (
    id bigint NOT NULL,
    workspace_id uuid NOT NULL,
    model_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    line text NOT NULL,
    points integer NOT NULL,
    reason text NOT NULL,
    cause text NOT NULL,
    adjusted_at timestamp with time zone NOT NULL
);

--
-- Name: score_adjustments_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.score_adjustments ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.score_adjustments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: score_checks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.score_checks (
    workspace_id uuid NOT NULL,
    model_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    due_at timestamp with time zone NOT NULL
);

--
-- Name: score_ledger; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.score_ledger (
    id bigint NOT NULL,
    workspace_id uuid NOT NULL,
    model_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    version integer NOT NULL,
    rule text NOT NULL,
    delta integer NOT NULL,
    reason text NOT NULL,
    cause text NOT NULL,
    event_id uuid,
    recorded_at timestamp with time zone NOT NULL
);

--
-- Name: score_ledger_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.score_ledger ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.score_ledger_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: scoring_model_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.scoring_model_versions (
    model_id uuid NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    published_at timestamp with time zone NOT NULL
);

--
-- Name: scoring_models; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.scoring_models (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    draft jsonb NOT NULL,
    published_version integer,
    archived_at timestamp with time zone,
    build_state text DEFAULT 'idle'::text NOT NULL,
    build_error text,
    built_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT scoring_models_build_state_check CHECK ((build_state = ANY (ARRAY['idle'::text, 'queued'::text, 'running'::text, 'failed'::text])))
);

--
-- Name: segment_checks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segment_checks (
    workspace_id uuid NOT NULL,
    segment_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    due_at timestamp with time zone NOT NULL
);

--
-- Name: segment_members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segment_members (
    workspace_id uuid NOT NULL,
    segment_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    version integer NOT NULL,
    entered_at timestamp with time zone NOT NULL,
    enter_cause text NOT NULL,
    exited_at timestamp with time zone,
    exit_cause text
);

--
-- Name: segment_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segment_versions (
    segment_id uuid NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    published_at timestamp with time zone NOT NULL
);

--
-- Name: segments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.segments (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    draft jsonb NOT NULL,
    published_version integer,
    archived_at timestamp with time zone,
    build_state text DEFAULT 'idle'::text NOT NULL,
    build_phase text,
    build_total integer,
    build_matched integer,
    build_entered integer,
    build_exited integer,
    build_error text,
    built_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT segments_build_state_check CHECK ((build_state = ANY (ARRAY['idle'::text, 'queued'::text, 'running'::text, 'failed'::text])))
);

--
-- Name: sending_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sending_settings (
    workspace_id uuid NOT NULL,
    definition jsonb NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

--
-- Name: signals; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.signals (
    id bigint NOT NULL,
    workspace_id uuid NOT NULL,
    kind text NOT NULL,
    contact_id uuid NOT NULL,
    subject_id uuid NOT NULL,
    data jsonb DEFAULT '{}'::jsonb NOT NULL,
    occurred_at timestamp with time zone NOT NULL
);

--
-- Name: signals_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.signals ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.signals_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: sms_opt_outs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sms_opt_outs (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    phone text NOT NULL,
    source text NOT NULL,
    keyword text,
    message_sid text,
    detail text,
    created_at timestamp with time zone NOT NULL,
    lifted_at timestamp with time zone,
    lifted_by text,
    CONSTRAINT sms_opt_outs_phone_check CHECK ((phone ~ '^\+[1-9][0-9]{6,14}$'::text)),
    CONSTRAINT sms_opt_outs_source_check CHECK ((source = ANY (ARRAY['inbound'::text, 'api'::text, 'provider'::text])))
);

--
-- Name: subscription_topics; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.subscription_topics (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    key text NOT NULL,
    name_ja text NOT NULL,
    name_en text NOT NULL,
    description text,
    default_subscribed boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

--
-- Name: suppressions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.suppressions (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    email text NOT NULL,
    contact_id uuid,
    reason text NOT NULL,
    source text NOT NULL,
    detail text,
    created_at timestamp with time zone NOT NULL,
    lifted_at timestamp with time zone,
    lifted_by text,
    CONSTRAINT suppressions_email_check CHECK ((email = lower(email))),
    CONSTRAINT suppressions_reason_check CHECK ((reason = ANY (ARRAY['hard_bounce'::text, 'complaint'::text, 'unsubscribe'::text, 'manual'::text])))
);

--
-- Name: tasks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tasks (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    owner text NOT NULL,
    title text NOT NULL,
    notes text,
    due_at timestamp with time zone,
    status text DEFAULT 'open'::text NOT NULL,
    source text NOT NULL,
    handoff_id uuid,
    created_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    CONSTRAINT tasks_status_check CHECK ((status = ANY (ARRAY['open'::text, 'done'::text, 'cancelled'::text])))
);

--
-- Name: template_versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.template_versions (
    template_id uuid NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    compiled jsonb NOT NULL,
    published_at timestamp with time zone NOT NULL
);

--
-- Name: templates; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.templates (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    draft jsonb NOT NULL,
    published_version integer,
    archived_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

--
-- Name: topic_preferences; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.topic_preferences (
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    topic_id uuid NOT NULL,
    subscribed boolean NOT NULL,
    source text NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

--
-- Name: webhook_deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_deliveries (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    endpoint_id uuid NOT NULL,
    signal_id bigint,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    last_status integer,
    last_error text,
    created_at timestamp with time zone NOT NULL,
    delivered_at timestamp with time zone,
    CONSTRAINT webhook_deliveries_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'delivered'::text, 'failed'::text])))
);

--
-- Name: webhook_endpoints; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webhook_endpoints (
    id uuid NOT NULL,
    workspace_id uuid NOT NULL,
    url text NOT NULL,
    description text,
    secret text NOT NULL,
    kinds text[] NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    previous_secret text,
    previous_secret_until timestamp with time zone,
    CONSTRAINT webhook_endpoints_kinds_check CHECK ((cardinality(kinds) > 0))
);

--
-- Name: workspaces; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.workspaces (
    id uuid NOT NULL,
    name text NOT NULL,
    default_region text DEFAULT 'JP'::text NOT NULL,
    timezone text DEFAULT 'Asia/Tokyo'::text NOT NULL,
    locale text DEFAULT 'ja'::text NOT NULL,
    created_at timestamp with time zone NOT NULL
);

--
-- Name: api_keys api_keys_key_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);

--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);

--
-- Name: campaigns campaigns_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.campaigns
    ADD CONSTRAINT campaigns_pkey PRIMARY KEY (id);

--
-- Name: companies companies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.companies
    ADD CONSTRAINT companies_pkey PRIMARY KEY (id);

--
-- Name: consents consents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consents
    ADD CONSTRAINT consents_pkey PRIMARY KEY (id);

--
-- Name: contact_anonymous_ids contact_anonymous_ids_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_anonymous_ids
    ADD CONSTRAINT contact_anonymous_ids_pkey PRIMARY KEY (workspace_id, anonymous_id);

--
-- Name: contact_external_ids contact_external_ids_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_external_ids
    ADD CONSTRAINT contact_external_ids_pkey PRIMARY KEY (workspace_id, source, external_id);

--
-- Name: contact_merges contact_merges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_merges
    ADD CONSTRAINT contact_merges_pkey PRIMARY KEY (id);

--
-- Name: contact_preferences contact_preferences_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_preferences
    ADD CONSTRAINT contact_preferences_pkey PRIMARY KEY (contact_id);

--
-- Name: contact_scores contact_scores_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_scores
    ADD CONSTRAINT contact_scores_pkey PRIMARY KEY (model_id, contact_id);

--
-- Name: contacts contacts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_pkey PRIMARY KEY (id);

--
-- Name: custom_fields custom_fields_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.custom_fields
    ADD CONSTRAINT custom_fields_pkey PRIMARY KEY (workspace_id, entity, key);

--
-- Name: deliveries deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT deliveries_pkey PRIMARY KEY (id);

--
-- Name: deliveries deliveries_workspace_id_dedupe_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT deliveries_workspace_id_dedupe_key_key UNIQUE (workspace_id, dedupe_key);

--
-- Name: event_message_ids event_message_ids_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_message_ids
    ADD CONSTRAINT event_message_ids_pkey PRIMARY KEY (workspace_id, message_id);

--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (workspace_id, occurred_at, id);

--
-- Name: form_submissions form_submissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_submissions
    ADD CONSTRAINT form_submissions_pkey PRIMARY KEY (id);

--
-- Name: forms forms_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.forms
    ADD CONSTRAINT forms_pkey PRIMARY KEY (id);

--
-- Name: handoffs handoffs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.handoffs
    ADD CONSTRAINT handoffs_pkey PRIMARY KEY (id);

--
-- Name: import_issues import_issues_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_issues
    ADD CONSTRAINT import_issues_pkey PRIMARY KEY (import_id, seq);

--
-- Name: imports imports_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.imports
    ADD CONSTRAINT imports_pkey PRIMARY KEY (id);

--
-- Name: instance_secrets instance_secrets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.instance_secrets
    ADD CONSTRAINT instance_secrets_pkey PRIMARY KEY (name);

--
-- Name: jobs jobs_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT jobs_key_key UNIQUE (key);

--
-- Name: jobs jobs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);

--
-- Name: journey_enrolments journey_enrolments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_enrolments
    ADD CONSTRAINT journey_enrolments_pkey PRIMARY KEY (id);

--
-- Name: journey_event_keys journey_event_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_event_keys
    ADD CONSTRAINT journey_event_keys_pkey PRIMARY KEY (workspace_id, event_key, journey_id);

--
-- Name: journey_inbox journey_inbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_inbox
    ADD CONSTRAINT journey_inbox_pkey PRIMARY KEY (id);

--
-- Name: journey_steps journey_steps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_steps
    ADD CONSTRAINT journey_steps_pkey PRIMARY KEY (id);

--
-- Name: journey_versions journey_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_versions
    ADD CONSTRAINT journey_versions_pkey PRIMARY KEY (journey_id, version);

--
-- Name: journeys journeys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journeys
    ADD CONSTRAINT journeys_pkey PRIMARY KEY (id);

--
-- Name: lifecycle_settings lifecycle_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lifecycle_settings
    ADD CONSTRAINT lifecycle_settings_pkey PRIMARY KEY (workspace_id);

--
-- Name: lifecycle_transitions lifecycle_transitions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lifecycle_transitions
    ADD CONSTRAINT lifecycle_transitions_pkey PRIMARY KEY (id);

--
-- Name: lifecycle_versions lifecycle_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lifecycle_versions
    ADD CONSTRAINT lifecycle_versions_pkey PRIMARY KEY (workspace_id, version);

--
-- Name: list_members list_members_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.list_members
    ADD CONSTRAINT list_members_pkey PRIMARY KEY (list_id, contact_id);

--
-- Name: lists lists_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lists
    ADD CONSTRAINT lists_pkey PRIMARY KEY (id);

--
-- Name: optin_confirmations optin_confirmations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.optin_confirmations
    ADD CONSTRAINT optin_confirmations_pkey PRIMARY KEY (id);

--
-- Name: owner_assignments owner_assignments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.owner_assignments
    ADD CONSTRAINT owner_assignments_pkey PRIMARY KEY (id);

--
-- Name: owner_notifications owner_notifications_idempotency_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.owner_notifications
    ADD CONSTRAINT owner_notifications_idempotency_key_key UNIQUE (idempotency_key);

--
-- Name: owner_notifications owner_notifications_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.owner_notifications
    ADD CONSTRAINT owner_notifications_pkey PRIMARY KEY (id);

--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

--
-- Name: score_adjustments score_adjustments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_adjustments
    ADD CONSTRAINT score_adjustments_pkey PRIMARY KEY (id);

--
-- Name: score_checks score_checks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_checks
    ADD CONSTRAINT score_checks_pkey PRIMARY KEY (model_id, contact_id);

--
-- Name: score_ledger score_ledger_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_ledger
    ADD CONSTRAINT score_ledger_pkey PRIMARY KEY (id);

--
-- Name: scoring_model_versions scoring_model_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scoring_model_versions
    ADD CONSTRAINT scoring_model_versions_pkey PRIMARY KEY (model_id, version);

--
-- Name: scoring_models scoring_models_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scoring_models
    ADD CONSTRAINT scoring_models_pkey PRIMARY KEY (id);

--
-- Name: segment_checks segment_checks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_checks
    ADD CONSTRAINT segment_checks_pkey PRIMARY KEY (segment_id, contact_id);

--
-- Name: segment_versions segment_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_versions
    ADD CONSTRAINT segment_versions_pkey PRIMARY KEY (segment_id, version);

--
-- Name: segments segments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segments
    ADD CONSTRAINT segments_pkey PRIMARY KEY (id);

--
-- Name: sending_settings sending_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sending_settings
    ADD CONSTRAINT sending_settings_pkey PRIMARY KEY (workspace_id);

--
-- Name: signals signals_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signals
    ADD CONSTRAINT signals_pkey PRIMARY KEY (id);

--
-- Name: sms_opt_outs sms_opt_outs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sms_opt_outs
    ADD CONSTRAINT sms_opt_outs_pkey PRIMARY KEY (id);

--
-- Name: subscription_topics subscription_topics_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscription_topics
    ADD CONSTRAINT subscription_topics_pkey PRIMARY KEY (id);

--
-- Name: subscription_topics subscription_topics_workspace_id_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscription_topics
    ADD CONSTRAINT subscription_topics_workspace_id_key_key UNIQUE (workspace_id, key);

--
-- Name: suppressions suppressions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.suppressions
    ADD CONSTRAINT suppressions_pkey PRIMARY KEY (id);

--
-- Name: tasks tasks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (id);

--
-- Name: template_versions template_versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.template_versions
    ADD CONSTRAINT template_versions_pkey PRIMARY KEY (template_id, version);

--
-- Name: templates templates_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.templates
    ADD CONSTRAINT templates_pkey PRIMARY KEY (id);

--
-- Name: topic_preferences topic_preferences_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.topic_preferences
    ADD CONSTRAINT topic_preferences_pkey PRIMARY KEY (contact_id, topic_id);

--
-- Name: webhook_deliveries webhook_deliveries_endpoint_id_signal_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_endpoint_id_signal_id_key UNIQUE (endpoint_id, signal_id);

--
-- Name: webhook_deliveries webhook_deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);

--
-- Name: webhook_endpoints webhook_endpoints_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id);

--
-- Name: workspaces workspaces_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.workspaces
    ADD CONSTRAINT workspaces_pkey PRIMARY KEY (id);

--
-- Name: api_keys_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_keys_workspace ON public.api_keys USING btree (workspace_id, created_at);

--
-- Name: campaigns_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX campaigns_due ON public.campaigns USING btree (next_step_at) WHERE (status = ANY (ARRAY['scheduled'::text, 'testing'::text, 'sending'::text]));

--
-- Name: campaigns_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX campaigns_workspace ON public.campaigns USING btree (workspace_id, created_at, id);

--
-- Name: companies_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX companies_created ON public.companies USING btree (workspace_id, created_at, id);

--
-- Name: companies_domain; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX companies_domain ON public.companies USING btree (workspace_id, domain) WHERE (domain IS NOT NULL);

--
-- Name: companies_name_key; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX companies_name_key ON public.companies USING btree (workspace_id, name_key);

--
-- Name: consents_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX consents_contact ON public.consents USING btree (workspace_id, contact_id, recorded_at);

--
-- Name: consents_purpose; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX consents_purpose ON public.consents USING btree (workspace_id, purpose, contact_id, recorded_at);

--
-- Name: contact_anonymous_ids_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contact_anonymous_ids_contact ON public.contact_anonymous_ids USING btree (contact_id);

--
-- Name: contact_external_ids_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contact_external_ids_contact ON public.contact_external_ids USING btree (contact_id);

--
-- Name: contact_merges_winner; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contact_merges_winner ON public.contact_merges USING btree (workspace_id, winner_id);

--
-- Name: contact_scores_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contact_scores_contact ON public.contact_scores USING btree (contact_id);

--
-- Name: contacts_company; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contacts_company ON public.contacts USING btree (workspace_id, company_id);

--
-- Name: contacts_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contacts_created ON public.contacts USING btree (workspace_id, created_at, id);

--
-- Name: contacts_email; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX contacts_email ON public.contacts USING btree (workspace_id, email) WHERE (email IS NOT NULL);

--
-- Name: contacts_phone; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contacts_phone ON public.contacts USING btree (workspace_id, phone) WHERE (phone IS NOT NULL);

--
-- Name: contacts_tags; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contacts_tags ON public.contacts USING gin (tags);

--
-- Name: contacts_updated; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contacts_updated ON public.contacts USING btree (workspace_id, updated_at, id);

--
-- Name: deliveries_campaign; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_campaign ON public.deliveries USING btree (campaign_id, variant) WHERE (campaign_id IS NOT NULL);

--
-- Name: deliveries_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_contact ON public.deliveries USING btree (contact_id, sent_at);

--
-- Name: deliveries_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_due ON public.deliveries USING btree (due_at) WHERE (status = ANY (ARRAY['queued'::text, 'deferred'::text]));

--
-- Name: deliveries_message_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_message_id ON public.deliveries USING btree (message_id) WHERE (message_id IS NOT NULL);

--
-- Name: deliveries_sending; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_sending ON public.deliveries USING btree (due_at) WHERE (status = 'sending'::text);

--
-- Name: deliveries_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_workspace ON public.deliveries USING btree (workspace_id, created_at, id);

--
-- Name: events_anonymous; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_anonymous ON ONLY public.events USING btree (workspace_id, anonymous_id, occurred_at) WHERE (contact_id IS NULL);

--
-- Name: events_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_contact ON ONLY public.events USING btree (contact_id, occurred_at);

--
-- Name: events_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_name ON ONLY public.events USING btree (workspace_id, name, occurred_at);

--
-- Name: events_views; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_views ON ONLY public.events USING btree (workspace_id, type, occurred_at) WHERE (type = ANY (ARRAY['page'::text, 'screen'::text]));

--
-- Name: form_submissions_form; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX form_submissions_form ON public.form_submissions USING btree (workspace_id, form_id, submitted_at);

--
-- Name: forms_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX forms_workspace ON public.forms USING btree (workspace_id, created_at);

--
-- Name: handoffs_decision_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX handoffs_decision_due ON public.handoffs USING btree (decision_due) WHERE ((decision_breached_at IS NULL) AND (decided_at IS NULL));

--
-- Name: handoffs_first_touch_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX handoffs_first_touch_due ON public.handoffs USING btree (first_touch_due) WHERE ((first_touched_at IS NULL) AND (first_touch_breached_at IS NULL) AND (decided_at IS NULL));

--
-- Name: handoffs_open; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX handoffs_open ON public.handoffs USING btree (contact_id) WHERE (decided_at IS NULL);

--
-- Name: handoffs_owner; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX handoffs_owner ON public.handoffs USING btree (workspace_id, owner);

--
-- Name: handoffs_recycle_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX handoffs_recycle_due ON public.handoffs USING btree (recycle_due) WHERE (recycled_at IS NULL);

--
-- Name: imports_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX imports_workspace ON public.imports USING btree (workspace_id, created_at);

--
-- Name: jobs_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX jobs_due ON public.jobs USING btree (run_at) WHERE (status = ANY (ARRAY['pending'::text, 'running'::text]));

--
-- Name: journey_enrolments_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX journey_enrolments_contact ON public.journey_enrolments USING btree (contact_id, journey_id);

--
-- Name: journey_enrolments_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX journey_enrolments_due ON public.journey_enrolments USING btree (wake_at) WHERE (status = 'active'::text);

--
-- Name: journey_enrolments_journey; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX journey_enrolments_journey ON public.journey_enrolments USING btree (journey_id, status);

--
-- Name: journey_enrolments_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX journey_enrolments_key ON public.journey_enrolments USING btree (journey_id, contact_id, event_key) WHERE (event_key IS NOT NULL);

--
-- Name: journey_steps_enrolment; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX journey_steps_enrolment ON public.journey_steps USING btree (enrolment_id, id);

--
-- Name: journey_steps_node; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX journey_steps_node ON public.journey_steps USING btree (journey_id, node_id, outcome);

--
-- Name: journeys_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX journeys_workspace ON public.journeys USING btree (workspace_id, created_at, id);

--
-- Name: lifecycle_transitions_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX lifecycle_transitions_contact ON public.lifecycle_transitions USING btree (contact_id, id);

--
-- Name: lifecycle_transitions_stage; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX lifecycle_transitions_stage ON public.lifecycle_transitions USING btree (workspace_id, to_stage, occurred_at);

--
-- Name: list_members_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX list_members_contact ON public.list_members USING btree (contact_id);

--
-- Name: lists_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX lists_workspace ON public.lists USING btree (workspace_id, created_at, id);

--
-- Name: optin_confirmations_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX optin_confirmations_contact ON public.optin_confirmations USING btree (workspace_id, contact_id, requested_at);

--
-- Name: owner_assignments_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX owner_assignments_contact ON public.owner_assignments USING btree (contact_id);

--
-- Name: owner_assignments_owner; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX owner_assignments_owner ON public.owner_assignments USING btree (workspace_id, owner);

--
-- Name: owner_notifications_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX owner_notifications_due ON public.owner_notifications USING btree (next_attempt_at) WHERE (status = ANY (ARRAY['queued'::text, 'sending'::text]));

--
-- Name: owner_notifications_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX owner_notifications_workspace ON public.owner_notifications USING btree (workspace_id, created_at DESC, id DESC);

--
-- Name: score_adjustments_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX score_adjustments_contact ON public.score_adjustments USING btree (contact_id, model_id);

--
-- Name: score_checks_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX score_checks_due ON public.score_checks USING btree (due_at);

--
-- Name: score_ledger_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX score_ledger_contact ON public.score_ledger USING btree (contact_id, model_id, id);

--
-- Name: scoring_models_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX scoring_models_workspace ON public.scoring_models USING btree (workspace_id, created_at, id);

--
-- Name: segment_checks_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX segment_checks_due ON public.segment_checks USING btree (due_at);

--
-- Name: segment_members_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX segment_members_contact ON public.segment_members USING btree (contact_id, entered_at);

--
-- Name: segment_members_current; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX segment_members_current ON public.segment_members USING btree (segment_id, contact_id) WHERE (exited_at IS NULL);

--
-- Name: segments_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX segments_workspace ON public.segments USING btree (workspace_id, created_at, id);

--
-- Name: signals_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX signals_contact ON public.signals USING btree (contact_id, id);

--
-- Name: signals_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX signals_workspace ON public.signals USING btree (workspace_id, id);

--
-- Name: sms_opt_outs_active; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX sms_opt_outs_active ON public.sms_opt_outs USING btree (workspace_id, phone) WHERE (lifted_at IS NULL);

--
-- Name: sms_opt_outs_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sms_opt_outs_workspace ON public.sms_opt_outs USING btree (workspace_id, created_at, id);

--
-- Name: suppressions_active_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX suppressions_active_contact ON public.suppressions USING btree (contact_id) WHERE (lifted_at IS NULL);

--
-- Name: suppressions_active_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX suppressions_active_email ON public.suppressions USING btree (workspace_id, email) WHERE (lifted_at IS NULL);

--
-- Name: suppressions_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX suppressions_workspace ON public.suppressions USING btree (workspace_id, created_at, id);

--
-- Name: tasks_contact; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tasks_contact ON public.tasks USING btree (contact_id);

--
-- Name: tasks_handoff; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tasks_handoff ON public.tasks USING btree (handoff_id) WHERE (handoff_id IS NOT NULL);

--
-- Name: tasks_owner; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tasks_owner ON public.tasks USING btree (workspace_id, owner, status, due_at);

--
-- Name: templates_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX templates_workspace ON public.templates USING btree (workspace_id, created_at, id);

--
-- Name: topic_preferences_topic; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX topic_preferences_topic ON public.topic_preferences USING btree (topic_id);

--
-- Name: webhook_deliveries_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_due ON public.webhook_deliveries USING btree (next_attempt_at) WHERE (status = 'pending'::text);

--
-- Name: webhook_deliveries_endpoint; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_deliveries_endpoint ON public.webhook_deliveries USING btree (endpoint_id, created_at, id);

--
-- Name: webhook_endpoints_active; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_endpoints_active ON public.webhook_endpoints USING btree (workspace_id) WHERE active;

--
-- Name: webhook_endpoints_workspace; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX webhook_endpoints_workspace ON public.webhook_endpoints USING btree (workspace_id, created_at, id);

--
-- Name: events journey_inbox_fan_in; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER journey_inbox_fan_in AFTER INSERT ON public.events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.journey_inbox_fan_in();

--
-- Name: signals journey_inbox_signals; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER journey_inbox_signals AFTER INSERT ON public.signals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.journey_inbox_signals();

--
-- Name: journey_enrolments journey_steps_follow_enrolments; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER journey_steps_follow_enrolments AFTER DELETE ON public.journey_enrolments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.journey_steps_follow_enrolments();

--
-- Name: signals signals_webhook_fan_out; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER signals_webhook_fan_out AFTER INSERT ON public.signals REFERENCING NEW TABLE AS new_signals FOR EACH STATEMENT EXECUTE FUNCTION public.webhook_fan_out();

--
-- Name: api_keys api_keys_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: campaigns campaigns_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.campaigns
    ADD CONSTRAINT campaigns_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: companies companies_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.companies
    ADD CONSTRAINT companies_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: consents consents_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consents
    ADD CONSTRAINT consents_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: consents consents_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consents
    ADD CONSTRAINT consents_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: contact_anonymous_ids contact_anonymous_ids_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_anonymous_ids
    ADD CONSTRAINT contact_anonymous_ids_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: contact_anonymous_ids contact_anonymous_ids_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_anonymous_ids
    ADD CONSTRAINT contact_anonymous_ids_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: contact_external_ids contact_external_ids_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_external_ids
    ADD CONSTRAINT contact_external_ids_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: contact_external_ids contact_external_ids_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_external_ids
    ADD CONSTRAINT contact_external_ids_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: contact_merges contact_merges_winner_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_merges
    ADD CONSTRAINT contact_merges_winner_id_fkey FOREIGN KEY (winner_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: contact_merges contact_merges_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_merges
    ADD CONSTRAINT contact_merges_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: contact_preferences contact_preferences_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_preferences
    ADD CONSTRAINT contact_preferences_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: contact_preferences contact_preferences_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_preferences
    ADD CONSTRAINT contact_preferences_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: contact_scores contact_scores_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contact_scores
    ADD CONSTRAINT contact_scores_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: contacts contacts_company_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_company_id_fkey FOREIGN KEY (company_id) REFERENCES public.companies(id) ON DELETE SET NULL;

--
-- Name: contacts contacts_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: custom_fields custom_fields_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.custom_fields
    ADD CONSTRAINT custom_fields_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: deliveries deliveries_campaign_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT deliveries_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES public.campaigns(id) ON DELETE SET NULL;

--
-- Name: deliveries deliveries_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT deliveries_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE SET NULL;

--
-- Name: deliveries deliveries_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT deliveries_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: event_message_ids event_message_ids_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_message_ids
    ADD CONSTRAINT event_message_ids_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: events events_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.events
    ADD CONSTRAINT events_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: events events_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.events
    ADD CONSTRAINT events_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: form_submissions form_submissions_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_submissions
    ADD CONSTRAINT form_submissions_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE SET NULL;

--
-- Name: form_submissions form_submissions_form_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_submissions
    ADD CONSTRAINT form_submissions_form_id_fkey FOREIGN KEY (form_id) REFERENCES public.forms(id) ON DELETE CASCADE;

--
-- Name: form_submissions form_submissions_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.form_submissions
    ADD CONSTRAINT form_submissions_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: forms forms_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.forms
    ADD CONSTRAINT forms_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: handoffs handoffs_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.handoffs
    ADD CONSTRAINT handoffs_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: handoffs handoffs_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.handoffs
    ADD CONSTRAINT handoffs_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: import_issues import_issues_import_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_issues
    ADD CONSTRAINT import_issues_import_id_fkey FOREIGN KEY (import_id) REFERENCES public.imports(id) ON DELETE CASCADE;

--
-- Name: imports imports_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.imports
    ADD CONSTRAINT imports_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: jobs jobs_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT jobs_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: journey_enrolments journey_enrolments_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_enrolments
    ADD CONSTRAINT journey_enrolments_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: journey_enrolments journey_enrolments_journey_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_enrolments
    ADD CONSTRAINT journey_enrolments_journey_id_fkey FOREIGN KEY (journey_id) REFERENCES public.journeys(id) ON DELETE CASCADE;

--
-- Name: journey_enrolments journey_enrolments_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_enrolments
    ADD CONSTRAINT journey_enrolments_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: journey_event_keys journey_event_keys_journey_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_event_keys
    ADD CONSTRAINT journey_event_keys_journey_id_fkey FOREIGN KEY (journey_id) REFERENCES public.journeys(id) ON DELETE CASCADE;

--
-- Name: journey_event_keys journey_event_keys_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_event_keys
    ADD CONSTRAINT journey_event_keys_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: journey_versions journey_versions_journey_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journey_versions
    ADD CONSTRAINT journey_versions_journey_id_fkey FOREIGN KEY (journey_id) REFERENCES public.journeys(id) ON DELETE CASCADE;

--
-- Name: journeys journeys_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.journeys
    ADD CONSTRAINT journeys_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: lifecycle_settings lifecycle_settings_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lifecycle_settings
    ADD CONSTRAINT lifecycle_settings_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: lifecycle_transitions lifecycle_transitions_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lifecycle_transitions
    ADD CONSTRAINT lifecycle_transitions_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: lifecycle_transitions lifecycle_transitions_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lifecycle_transitions
    ADD CONSTRAINT lifecycle_transitions_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: lifecycle_versions lifecycle_versions_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lifecycle_versions
    ADD CONSTRAINT lifecycle_versions_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: list_members list_members_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.list_members
    ADD CONSTRAINT list_members_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: list_members list_members_list_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.list_members
    ADD CONSTRAINT list_members_list_id_fkey FOREIGN KEY (list_id) REFERENCES public.lists(id) ON DELETE CASCADE;

--
-- Name: list_members list_members_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.list_members
    ADD CONSTRAINT list_members_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: lists lists_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.lists
    ADD CONSTRAINT lists_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: optin_confirmations optin_confirmations_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.optin_confirmations
    ADD CONSTRAINT optin_confirmations_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: optin_confirmations optin_confirmations_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.optin_confirmations
    ADD CONSTRAINT optin_confirmations_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: owner_assignments owner_assignments_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.owner_assignments
    ADD CONSTRAINT owner_assignments_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: owner_assignments owner_assignments_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.owner_assignments
    ADD CONSTRAINT owner_assignments_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: owner_notifications owner_notifications_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.owner_notifications
    ADD CONSTRAINT owner_notifications_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE SET NULL;

--
-- Name: owner_notifications owner_notifications_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.owner_notifications
    ADD CONSTRAINT owner_notifications_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: score_adjustments score_adjustments_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_adjustments
    ADD CONSTRAINT score_adjustments_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: score_adjustments score_adjustments_model_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_adjustments
    ADD CONSTRAINT score_adjustments_model_id_fkey FOREIGN KEY (model_id) REFERENCES public.scoring_models(id) ON DELETE CASCADE;

--
-- Name: score_checks score_checks_model_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.score_checks
    ADD CONSTRAINT score_checks_model_id_fkey FOREIGN KEY (model_id) REFERENCES public.scoring_models(id) ON DELETE CASCADE;

--
-- Name: scoring_model_versions scoring_model_versions_model_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scoring_model_versions
    ADD CONSTRAINT scoring_model_versions_model_id_fkey FOREIGN KEY (model_id) REFERENCES public.scoring_models(id) ON DELETE CASCADE;

--
-- Name: scoring_models scoring_models_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.scoring_models
    ADD CONSTRAINT scoring_models_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: segment_checks segment_checks_segment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_checks
    ADD CONSTRAINT segment_checks_segment_id_fkey FOREIGN KEY (segment_id) REFERENCES public.segments(id) ON DELETE CASCADE;

--
-- Name: segment_members segment_members_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_members
    ADD CONSTRAINT segment_members_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: segment_members segment_members_segment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_members
    ADD CONSTRAINT segment_members_segment_id_fkey FOREIGN KEY (segment_id) REFERENCES public.segments(id) ON DELETE CASCADE;

--
-- Name: segment_members segment_members_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_members
    ADD CONSTRAINT segment_members_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: segment_versions segment_versions_segment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segment_versions
    ADD CONSTRAINT segment_versions_segment_id_fkey FOREIGN KEY (segment_id) REFERENCES public.segments(id) ON DELETE CASCADE;

--
-- Name: segments segments_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.segments
    ADD CONSTRAINT segments_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: sending_settings sending_settings_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sending_settings
    ADD CONSTRAINT sending_settings_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: signals signals_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.signals
    ADD CONSTRAINT signals_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: sms_opt_outs sms_opt_outs_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sms_opt_outs
    ADD CONSTRAINT sms_opt_outs_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: subscription_topics subscription_topics_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscription_topics
    ADD CONSTRAINT subscription_topics_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: suppressions suppressions_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.suppressions
    ADD CONSTRAINT suppressions_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE SET NULL;

--
-- Name: suppressions suppressions_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.suppressions
    ADD CONSTRAINT suppressions_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: tasks tasks_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasks
    ADD CONSTRAINT tasks_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: tasks tasks_handoff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasks
    ADD CONSTRAINT tasks_handoff_id_fkey FOREIGN KEY (handoff_id) REFERENCES public.handoffs(id) ON DELETE CASCADE;

--
-- Name: tasks tasks_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tasks
    ADD CONSTRAINT tasks_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: template_versions template_versions_template_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.template_versions
    ADD CONSTRAINT template_versions_template_id_fkey FOREIGN KEY (template_id) REFERENCES public.templates(id) ON DELETE CASCADE;

--
-- Name: templates templates_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.templates
    ADD CONSTRAINT templates_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: topic_preferences topic_preferences_contact_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.topic_preferences
    ADD CONSTRAINT topic_preferences_contact_id_fkey FOREIGN KEY (contact_id) REFERENCES public.contacts(id) ON DELETE CASCADE;

--
-- Name: topic_preferences topic_preferences_topic_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.topic_preferences
    ADD CONSTRAINT topic_preferences_topic_id_fkey FOREIGN KEY (topic_id) REFERENCES public.subscription_topics(id) ON DELETE CASCADE;

--
-- Name: topic_preferences topic_preferences_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.topic_preferences
    ADD CONSTRAINT topic_preferences_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: webhook_deliveries webhook_deliveries_endpoint_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES public.webhook_endpoints(id) ON DELETE CASCADE;

--
-- Name: webhook_deliveries webhook_deliveries_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- Name: webhook_endpoints webhook_endpoints_workspace_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES public.workspaces(id) ON DELETE CASCADE;

--
-- PostgreSQL database dump complete
--
