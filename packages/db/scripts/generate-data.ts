// pnpm db:generate-data --workspaces 10 --kpis 10 --days 90 --interval 1h
// Load-test data in the development database (DATABASE_URL, or the embedded server), migrated first.
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { z } from "zod";
import { openDevelopmentDatabase } from "../src/dev-database.ts";
import { generateData, maxPointsPerKpi } from "../src/generate.ts";

const usage = `Usage: pnpm db:generate-data [--workspaces N] [--kpis M] [--days D] [--interval I]
  --workspaces N  workspaces to create, each with its own owner (default 10)
  --kpis M        KPIs per workspace (default 10)
  --days D        days of history per KPI (default 90)
  --interval I    time between two points: a number and s, m, h or d, e.g. 15m, 1h, 1d (default 1h)`;

const secondsPerUnit: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

const count = (flag: string, max: number) =>
  z.coerce
    .number({ error: `${flag} must be a number` })
    .int(`${flag} must be a whole number`)
    .min(1, `${flag} must be at least 1`)
    .max(max, `${flag} must be at most ${max.toLocaleString("en-US")}`);

const argumentsSchema = z
  .object({
    workspaces: count("--workspaces", 10_000).default(10),
    kpis: count("--kpis", 1_000).default(10),
    days: count("--days", 3_650).default(90),
    interval: z
      .string()
      .trim()
      .regex(/^[1-9]\d*[smhd]$/, "--interval must be a number followed by s, m, h or d, such as 15m, 1h or 1d")
      .transform((value) => Number.parseInt(value, 10) * (secondsPerUnit[value.slice(-1)] ?? Number.NaN))
      .default(3_600),
  })
  .superRefine((args, context) => {
    const perKpi = Math.floor((args.days * 86_400) / args.interval);
    if (perKpi < 1) {
      context.addIssue({
        code: "custom",
        path: ["interval"],
        message: "--interval is longer than --days: not a single point fits",
      });
    } else if (perKpi > maxPointsPerKpi) {
      context.addIssue({
        code: "custom",
        path: ["interval"],
        message:
          `--interval and --days give ${perKpi.toLocaleString("en-US")} points per KPI, ` +
          `more than ${maxPointsPerKpi.toLocaleString("en-US")}: use a longer --interval or fewer --days`,
      });
    }
  });

type Arguments = z.infer<typeof argumentsSchema>;

class UsageError extends Error {}

function parseArguments(argv: string[]): Arguments {
  let values: Record<string, string | boolean | undefined>;
  try {
    // `pnpm db:generate-data -- --days 3` passes the "--" along.
    ({ values } = parseArgs({
      args: argv.filter((arg) => arg !== "--"),
      options: {
        workspaces: { type: "string" },
        kpis: { type: "string" },
        days: { type: "string" },
        interval: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  const parsed = argumentsSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const given = values[String(issue.path[0])];
      return typeof given === "string" ? `${issue.message} (got "${given}")` : issue.message;
    });
    throw new UsageError(problems.join("\n  "));
  }
  return parsed.data;
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const database = await openDevelopmentDatabase({ migrate: true });
  const format = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const bar = new cliProgress.SingleBar(
    {
      format: "{bar} {percentage}% | {value}/{total} points | {rate} points/s | ETA {eta_formatted}",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started: number | undefined;
  try {
    const result = await generateData({
      url: database.url,
      workspaces: args.workspaces,
      kpisPerWorkspace: args.kpis,
      days: args.days,
      intervalSeconds: args.interval,
      onProgress: (done, total) => {
        if (started === undefined) {
          started = performance.now();
          bar.start(total, 0, { rate: "-" });
        }
        const seconds = (performance.now() - started) / 1000;
        bar.update(done, { rate: seconds > 0 ? format.format(done / seconds) : "-" });
      },
    });
    bar.stop();
    console.log(
      `Generated ${format.format(result.points)} points (${args.workspaces} workspaces x ${args.kpis} KPIs, ` +
        `every ${args.interval} s over ${args.days} days) in ${result.seconds.toFixed(1)} s: ` +
        `${format.format(result.pointsPerSecond)} points/s`,
    );
  } finally {
    bar.stop();
    await database.close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`Invalid arguments:\n  ${error.message}\n\n${usage}`);
    process.exit(2);
  }
  console.error("db:generate-data failed:", error);
  // exit(), not exitCode: whatever a failure left open (a connection, a server) must not keep us alive.
  process.exit(1);
});
