// Prisma 6.19 with the wasm schema engine driven through the pg adapter: no native engine is
// downloaded (see the patch of @prisma/adapter-pg in patches/ for the three fixes it needs).
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

const databaseUrl = process.env.DATABASE_URL;
// Every command, `generate` included, first reads the schema's env("DATABASE_URL"); when it is
// unset, the CLI falls back to downloading the native query engine, which is unreachable. Generate
// needs no database, so the schema gets a placeholder; the adapter still refuses to run without one.
process.env.DATABASE_URL ??= "postgresql://unset@localhost/unset";

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: () => {
    if (!databaseUrl) throw new Error("DATABASE_URL is not set: point it at a PostgreSQL database");
    return Promise.resolve(new PrismaPg({ connectionString: databaseUrl }));
  },
});
