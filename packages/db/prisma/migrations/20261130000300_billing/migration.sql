-- Billing through Stripe: the subscription row mirrors Stripe's object, written only by the
-- webhook's narrow path. That path is three SECURITY DEFINER functions owned by northstar_definer
-- (empty search_path, EXECUTE for northstar_app only), not a policy: the app role keeps no write on
-- subscriptions, so no API handler can grant itself a plan, and each function checks its own rules
-- (event recorded once; an older Stripe state never overwrites a newer one).

-- Stripe's statuses that have no equivalent yet: mirrored as they are (neither is a current plan).
-- New enum values cannot be used in the transaction that adds them: the functions below compare
-- statuses as text.
ALTER TYPE "SubscriptionStatus" ADD VALUE IF NOT EXISTS 'UNPAID';
ALTER TYPE "SubscriptionStatus" ADD VALUE IF NOT EXISTS 'PAUSED';

-- A customer keeps one Stripe customer id across subscriptions (lapse, then re-subscribe).
DROP INDEX "subscriptions_external_customer_id_key";
CREATE INDEX "subscriptions_external_customer_id_idx" ON "subscriptions"("external_customer_id");
ALTER TABLE "subscriptions" ADD COLUMN "external_event_at" TIMESTAMPTZ(6);

CREATE TABLE "billing_events" (
    "id" VARCHAR(255) NOT NULL,
    "type" VARCHAR(100) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "received_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "billing_events_pkey" PRIMARY KEY ("id")
);

-- Nobody but the definer's functions touches the event log; the app role has no grant and this
-- policy says so again should one ever be added.
ALTER TABLE billing_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY billing_events_none ON billing_events FOR SELECT TO northstar_app USING (false);

-- Records a Stripe event id; false when it was recorded before (a retry or a duplicate). Called in
-- the transaction that applies the event, so a failed apply un-records it and Stripe's retry runs
-- again; a concurrent duplicate waits on the primary key and then finds it.
CREATE OR REPLACE FUNCTION app.billing_claim_event(event_id text, event_type text, event_created timestamptz)
  RETURNS boolean
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
  WITH claimed AS (
    INSERT INTO public.billing_events (id, type, created_at) VALUES (event_id, event_type, event_created)
    ON CONFLICT (id) DO NOTHING
    RETURNING 1)
  SELECT EXISTS (SELECT FROM claimed)
$$;

-- How far a status has got, for two states of the same period stamped in the same second
-- (Stripe's `created` has one-second resolution): a subscription moves incomplete -> active -> ...,
-- and once canceled it never comes back (a re-subscribe is a new subscription).
CREATE OR REPLACE FUNCTION app_private.billing_status_rank(status public."SubscriptionStatus") RETURNS integer
  LANGUAGE sql IMMUTABLE SET search_path = ''
AS $$
  SELECT CASE status::text
    WHEN 'INCOMPLETE' THEN 0 WHEN 'TRIALING' THEN 1 WHEN 'ACTIVE' THEN 2 WHEN 'PAST_DUE' THEN 2
    WHEN 'PAUSED' THEN 2 WHEN 'UNPAID' THEN 3 WHEN 'CANCELED' THEN 4 END
$$;

-- Mirrors one Stripe subscription object. The user is the one named in the subscription's
-- metadata (set by our Checkout Session), else the one already linked to the Stripe customer.
-- Order-proof: the state is applied only when it is not older than the stored one, compared by
-- (canceled is final, period start, the event's `created`, status progress). Returns 'applied',
-- 'stale' or 'unlinked'.
CREATE OR REPLACE FUNCTION app.billing_apply_subscription(
  p_user_id uuid, p_customer text, p_subscription text, p_status public."SubscriptionStatus",
  p_plan public."Plan", p_period public."BillingPeriod", p_start timestamptz, p_end timestamptz,
  p_cancel_at_period_end boolean, p_event_at timestamptz)
  RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
  owner uuid := p_user_id;
  stored public.subscriptions%ROWTYPE;
BEGIN
  IF owner IS NULL THEN
    SELECT s.user_id INTO owner FROM public.subscriptions AS s
     WHERE s.external_customer_id = p_customer ORDER BY s.created_at DESC LIMIT 1;
  END IF;
  IF owner IS NULL OR NOT EXISTS (SELECT FROM public.users AS u WHERE u.id = owner) THEN
    RETURN 'unlinked';
  END IF;

  INSERT INTO public.subscriptions AS s (user_id, status, plan, billing_period, current_period_start,
      current_period_end, cancel_at_period_end, external_customer_id, external_subscription_id, external_event_at)
  VALUES (owner, p_status, p_plan, p_period, p_start, p_end, p_cancel_at_period_end, p_customer, p_subscription,
      p_event_at)
  ON CONFLICT (external_subscription_id) DO NOTHING;
  IF FOUND THEN RETURN 'applied'; END IF;

  SELECT * INTO stored FROM public.subscriptions AS s WHERE s.external_subscription_id = p_subscription FOR UPDATE;
  IF (stored.status = 'CANCELED' AND p_status <> 'CANCELED')
     OR ROW(stored.current_period_start, COALESCE(stored.external_event_at, '-infinity'),
            app_private.billing_status_rank(stored.status))
        > ROW(p_start, p_event_at, app_private.billing_status_rank(p_status)) THEN
    RETURN 'stale';
  END IF;
  UPDATE public.subscriptions AS s
     SET status = p_status, plan = p_plan, billing_period = p_period, current_period_start = p_start,
         current_period_end = p_end, cancel_at_period_end = p_cancel_at_period_end,
         external_customer_id = p_customer, external_event_at = p_event_at, updated_at = now()
   WHERE s.id = stored.id;
  RETURN 'applied';
END
$$;

-- An invoice's outcome for its subscription: paid ends PAST_DUE (or INCOMPLETE/UNPAID), a failed
-- payment makes an ACTIVE or TRIALING subscription PAST_DUE; never over a newer stored state.
CREATE OR REPLACE FUNCTION app.billing_apply_invoice(p_subscription text, p_paid boolean, p_event_at timestamptz)
  RETURNS text
  LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = ''
AS $$
  WITH changed AS (
    UPDATE public.subscriptions AS s
       SET status = CASE WHEN p_paid THEN 'ACTIVE' ELSE 'PAST_DUE' END::public."SubscriptionStatus",
           external_event_at = p_event_at, updated_at = now()
     WHERE s.external_subscription_id = p_subscription
       AND COALESCE(s.external_event_at, '-infinity') <= p_event_at
       AND s.status::text = ANY (CASE WHEN p_paid THEN ARRAY['PAST_DUE', 'INCOMPLETE', 'UNPAID']
                                      ELSE ARRAY['ACTIVE', 'TRIALING'] END)
    RETURNING 1)
  SELECT CASE WHEN EXISTS (SELECT FROM changed) THEN 'applied' ELSE 'unchanged' END
$$;

ALTER FUNCTION app.billing_claim_event(text, text, timestamptz) OWNER TO northstar_definer;
ALTER FUNCTION app_private.billing_status_rank(public."SubscriptionStatus") OWNER TO northstar_definer;
ALTER FUNCTION app.billing_apply_subscription(uuid, text, text, public."SubscriptionStatus", public."Plan",
  public."BillingPeriod", timestamptz, timestamptz, boolean, timestamptz) OWNER TO northstar_definer;
ALTER FUNCTION app.billing_apply_invoice(text, boolean, timestamptz) OWNER TO northstar_definer;

-- What the definer needs for these, and nothing more.
GRANT INSERT, SELECT ON billing_events TO northstar_definer;
GRANT INSERT, UPDATE ON subscriptions TO northstar_definer;
GRANT SELECT (id) ON users TO northstar_definer;

REVOKE ALL ON FUNCTION app.billing_claim_event(text, text, timestamptz),
  app_private.billing_status_rank(public."SubscriptionStatus"),
  app.billing_apply_subscription(uuid, text, text, public."SubscriptionStatus", public."Plan",
    public."BillingPeriod", timestamptz, timestamptz, boolean, timestamptz),
  app.billing_apply_invoice(text, boolean, timestamptz)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.billing_claim_event(text, text, timestamptz),
  app.billing_apply_subscription(uuid, text, text, public."SubscriptionStatus", public."Plan",
    public."BillingPeriod", timestamptz, timestamptz, boolean, timestamptz),
  app.billing_apply_invoice(text, boolean, timestamptz)
  TO northstar_app;
GRANT EXECUTE ON FUNCTION app_private.billing_status_rank(public."SubscriptionStatus") TO northstar_definer;
