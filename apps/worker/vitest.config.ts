import { databaseTestOptions } from "@northstar/db/testing/vitest-preset";
import { defineConfig } from "vitest/config";

export default defineConfig({ test: databaseTestOptions });
