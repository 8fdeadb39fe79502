import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Navigate, useSearchParams } from "react-router";
import { Skeleton } from "../components/Feedback.tsx";
import { useTRPC } from "../trpc.ts";
import { rememberReturn } from "../workspace.ts";

// Sign-in: a button per configured provider (a plain link: the host redirects to the provider),
// and the development sign-in as a form, only when the host has it on.

interface SignInOptions {
  providers: string[];
  developmentSignIn: boolean;
}

interface DevelopmentUser {
  id: string;
  name: string;
  email: string;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`Sign-in options are unavailable (${response.status}); reload to try again.`);
  return (await response.json()) as T;
}

const providerLabels: Record<string, string> = { github: "Continue with GitHub", google: "Continue with Google" };

export function SignIn() {
  const trpc = useTRPC();
  const [params] = useSearchParams();
  const me = useQuery({ ...trpc.me.get.queryOptions(), retry: false });
  useEffect(() => {
    rememberReturn(params.get("next"));
  }, [params]);
  const options = useQuery({ queryKey: ["auth", "options"], queryFn: () => getJson<SignInOptions>("/auth/options") });
  const developmentSignIn = options.data?.developmentSignIn === true;
  const users = useQuery({
    queryKey: ["auth", "dev-users"],
    queryFn: () => getJson<{ users: DevelopmentUser[] }>("/auth/dev/users"),
    enabled: developmentSignIn,
  });

  if (me.isSuccess) return <Navigate to="/" replace />;

  return (
    <main className="centered-page">
      <div className="panel sign-in">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">
            ✦
          </span>
          <span className="brand-name">Northstar</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">Your team’s KPIs and goals, in one place.</p>
        {options.isPending ? (
          <div className="stack">
            <Skeleton height="2.75rem" />
            <Skeleton height="2.75rem" />
          </div>
        ) : options.isError ? (
          <p role="alert">{options.error.message}</p>
        ) : (
          <div className="stack">
            {options.data.providers.map((provider) => (
              <a key={provider} className={`button button-block provider-${provider}`} href={`/auth/${provider}/start`}>
                {providerLabels[provider] ?? `Continue with ${provider}`}
              </a>
            ))}
            {options.data.providers.length === 0 && !developmentSignIn ? (
              <p role="alert">
                No sign-in method is configured on this server. Set GITHUB_CLIENT_ID/GITHUB_CLIENT_SECRET or
                GOOGLE_CLIENT_ID/GOOGLE_CLIENT_SECRET.
              </p>
            ) : null}
          </div>
        )}
        {developmentSignIn ? (
          <form method="post" action="/auth/dev" className="dev-sign-in">
            <h2>Development sign-in</h2>
            <p className="muted">On because NORTHSTAR_DEV_SIGN_IN is set. Pick a seeded user, or paste a user id.</p>
            {users.data && users.data.users.length > 0 ? (
              <>
                <label htmlFor="dev-user">User</label>
                <select id="dev-user" name="userId" required>
                  {users.data.users.map((user) => (
                    <option key={user.id} value={user.id}>
                      {user.name} ({user.email})
                    </option>
                  ))}
                </select>
              </>
            ) : (
              <>
                <label htmlFor="dev-user">User id</label>
                <input
                  id="dev-user"
                  name="userId"
                  required
                  autoComplete="off"
                  spellCheck={false}
                  disabled={users.isPending}
                />
              </>
            )}
            <button type="submit" className="button button-primary button-block" disabled={users.isPending}>
              Sign in as this user
            </button>
          </form>
        ) : null}
      </div>
    </main>
  );
}
