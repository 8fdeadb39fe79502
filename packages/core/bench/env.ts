// The benchmark's one setting (the monorepo reads process.env in env.ts files only): a superuser
// URL of a PostgreSQL server, where the data generator's rate is measured in a database of its own.
export const databaseUrl: string | undefined = process.env.DATABASE_URL === "" ? undefined : process.env.DATABASE_URL;

/** The environment a child process gets: this one, with DATABASE_URL pointing at `url`. */
export function environmentWith(url: string): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: url };
}
