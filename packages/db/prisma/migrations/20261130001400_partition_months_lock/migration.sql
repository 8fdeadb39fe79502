-- Two bulk loads creating their months at once raced: both saw a month missing, and the second
-- CREATE TABLE failed ("relation kpi_points.kpi_data_points_2025_11 already exists"). The months
-- are now created under the same transaction-scoped advisory lock as the worker's maintenance
-- (app.maintain_point_partitions, which calls this with the lock held: advisory locks are
-- re-entrant), so a second caller waits, then finds the months there.
CREATE OR REPLACE FUNCTION app_private.kpi_points_create_months(first timestamptz, last timestamptz) RETURNS integer
  LANGUAGE plpgsql SET search_path = ''
AS $$
DECLARE
  month timestamptz;
  created integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('kpi_points:maintain', 0));
  FOR month IN
    SELECT m AT TIME ZONE 'UTC'
      FROM generate_series(date_trunc('month', first, 'UTC') AT TIME ZONE 'UTC',
                           date_trunc('month', last, 'UTC') AT TIME ZONE 'UTC', interval '1 month') AS m
  LOOP
    IF app_private.kpi_points_create_month(month) IS NOT NULL THEN
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END
$$;
REVOKE ALL ON FUNCTION app_private.kpi_points_create_months(timestamptz, timestamptz) FROM PUBLIC;
