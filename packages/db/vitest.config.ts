import { defineConfig } from "vitest/config";
import { databaseTestOptions } from "./src/testing/vitest-preset.ts";

export default defineConfig({ test: databaseTestOptions });
