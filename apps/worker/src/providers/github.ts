import { z } from "zod";
import { SyncError } from "../sync/errors.ts";
import { type Connector, type DataPoint, snapshotTime, startOfUtcDay } from "./connector.ts";
import { httpGet, type HttpOptions, parseJson, parseRetryAfter, type ResponseHeaders, statusError } from "./http.ts";

// GitHub (REST API v3, token auth): stars and open issues of a repository (hourly snapshots), and
// pull requests merged per UTC day (closed PRs, newest update first, followed through the Link
// header's `next` until they are older than the window). Rate limits: 403/429 with
// x-ratelimit-remaining 0 wait until x-ratelimit-reset; a secondary limit's Retry-After is honoured.

const provider = "GitHub";
const pageSize = 100;
const maxPages = 100;

const repositorySchema = z.object({ stargazers_count: z.number(), open_issues_count: z.number() });
const pullsSchema = z.array(z.object({ merged_at: z.string().nullable(), updated_at: z.string() }));

function rateLimited(status: number, headers: ResponseHeaders): SyncError | null {
  if (status !== 403 && status !== 429) return null;
  if (headers.get("x-ratelimit-remaining") === "0") {
    const reset = Number(headers.get("x-ratelimit-reset"));
    const wait = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : null;
    return new SyncError("provider_rate_limited", "GitHub's rate limit for this token is used up.", wait);
  }
  const retryAfter = parseRetryAfter(headers.get("retry-after"));
  if (retryAfter !== null || status === 429)
    return new SyncError("provider_rate_limited", "GitHub's secondary rate limit was hit.", retryAfter);
  return null;
}

/** The Link header's rel="next" URL, only when it stays on the API's own origin (the token goes with it). */
export function nextLink(header: string | null, origin: string): string | null {
  if (!header) return null;
  for (const part of header.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) {
      const url = URL.parse(match[1]);
      return url && url.origin === origin ? url.toString() : null;
    }
  }
  return null;
}

export function githubConnector(apiUrl: string): Connector {
  const base = new URL(apiUrl);
  async function get(
    url: string,
    token: string,
    options: HttpOptions,
  ): Promise<{ body: unknown; headers: ResponseHeaders }> {
    const response = await httpGet(
      {
        url,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/vnd.github+json",
          "x-github-api-version": "2022-11-28",
          "user-agent": "northstar-worker",
        },
      },
      options,
      provider,
    );
    if (response.status >= 200 && response.status < 300)
      return { body: parseJson(response.text, provider), headers: response.headers };
    throw rateLimited(response.status, response.headers) ?? statusError(response.status, response.headers, provider);
  }

  return {
    id: "github",
    overlapSeconds: 86_400,
    async fetch({ credentials, config, since, now, signal, timeoutMs, network }) {
      const token = credentials.token;
      const { owner, repo } = config;
      if (!token || !owner || !repo)
        throw new SyncError("config_invalid", "The integration needs a token, an owner and a repository.");
      const options = { signal, timeoutMs, network };
      const repository = new URL(
        `repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`,
        base.href.endsWith("/") ? base : `${base.href}/`,
      );
      const parsed = repositorySchema.safeParse((await get(repository.toString(), token, options)).body);
      if (!parsed.success)
        throw new SyncError(
          "provider_bad_response",
          "GitHub's repository answer lacks stargazers_count or open_issues_count.",
        );
      const snapshot = snapshotTime(now);
      const points: DataPoint[] = [
        { metric: "stars", timestamp: snapshot, value: parsed.data.stargazers_count },
        { metric: "open_issues", timestamp: snapshot, value: parsed.data.open_issues_count },
      ];

      // Merged per day, for every day from the window's first to today (days without merges count 0).
      const firstDay = startOfUtcDay(since);
      const perDay = new Map<number, number>();
      for (let day = firstDay.getTime(); day <= now.getTime(); day += 86_400_000) perDay.set(day, 0);
      const pulls = new URL(`${repository.toString()}/pulls`);
      pulls.search = new URLSearchParams({
        state: "closed",
        sort: "updated",
        direction: "desc",
        per_page: String(pageSize),
      }).toString();
      let next: string | null = pulls.toString();
      for (let page = 0; next && page < maxPages; page++) {
        const { body, headers } = await get(next, token, options);
        const items = pullsSchema.safeParse(body);
        if (!items.success)
          throw new SyncError("provider_bad_response", "GitHub's pull request list is not in the expected shape.");
        let older = false;
        for (const pull of items.data) {
          if (Date.parse(pull.updated_at) < firstDay.getTime()) older = true;
          const merged = pull.merged_at === null ? Number.NaN : Date.parse(pull.merged_at);
          if (Number.isNaN(merged) || merged < firstDay.getTime() || merged > now.getTime()) continue;
          const day = startOfUtcDay(new Date(merged)).getTime();
          perDay.set(day, (perDay.get(day) ?? 0) + 1);
        }
        // Sorted by update time: once a page reaches before the window, later pages are older still.
        next = older ? null : nextLink(headers.get("link"), base.origin);
      }
      for (const [day, count] of perDay)
        points.push({ metric: "merged_prs_per_day", timestamp: new Date(day), value: count });
      return points;
    },
  };
}
