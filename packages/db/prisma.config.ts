// Prisma 6.19 with the wasm schema engine driven through the pg adapter: no native engine is
// downloaded (see the patch of @prisma/adapter-pg in patches/ for the three fixes it needs).
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: () => {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error("DATABASE_URL is not set: point it at a PostgreSQL database");
    return Promise.resolve(new PrismaPg({ connectionString }));
  },
});
