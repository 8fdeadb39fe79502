-- The development sign-in's list of users, through a function instead of a raw pool query: the
-- host's login holds no table privilege of its own (only northstar_app, taken per transaction),
-- and row-level security shows northstar_app only the users it shares a workspace with.
--
-- Nobody may call it after this migration: the development tools grant EXECUTE to northstar_app
-- in the development database only (packages/db src/dev-database.ts, allowDevelopmentSignIn), so a
-- production database never lets the host list every user's name and email.
CREATE OR REPLACE FUNCTION app.development_users(max_count integer)
  RETURNS TABLE (id uuid, name text, email text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT u.id, u.name::text, u.email::text
    FROM public.users AS u
   ORDER BY u.created_at, u.email
   LIMIT least(greatest(max_count, 0), 200)
$$;

ALTER FUNCTION app.development_users(integer) OWNER TO northstar_definer;
REVOKE ALL ON FUNCTION app.development_users(integer) FROM PUBLIC;
