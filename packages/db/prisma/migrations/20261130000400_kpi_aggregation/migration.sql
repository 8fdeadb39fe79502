-- How a KPI's points add up over a period (a chart's bucket, the dashboard's period, goal
-- progress): counts and amounts are summed, rates averaged, levels read at their last value.
-- Existing KPIs keep AVERAGE, which is what every chart did before.
CREATE TYPE "KpiAggregation" AS ENUM ('SUM', 'AVERAGE', 'LAST', 'MIN', 'MAX');
ALTER TABLE "kpis" ADD COLUMN "aggregation" "KpiAggregation" NOT NULL DEFAULT 'AVERAGE';

-- The workspace's time zone (an IANA name): dates without an offset are read in it, and daily,
-- weekly and monthly buckets start at its midnight. The API checks the name against the zones
-- PostgreSQL knows (pg_timezone_names) before it writes one.
ALTER TABLE "workspaces" ADD COLUMN "time_zone" VARCHAR(64) NOT NULL DEFAULT 'UTC';
