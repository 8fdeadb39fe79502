// One flat config for the whole monorepo: typescript-eslint's strict, type-aware rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const envMessage = "Read settings in the package's env.ts (parsed with @northstar/core/settings) and pass them in";

// Settings are validated once, at the edge: only the env modules (env.ts) read process.env.
export const envImport = {
  selector: "ImportDeclaration[source.value=/^(node:)?process$/] > ImportSpecifier[imported.name='env']",
  message: envMessage,
};

// Who a connection is (its role, its context settings) and SQL run unchecked belong to packages/db
// (client.ts, queue.ts): everything else gets a handle already scoped to a role and a context. These
// match code and the text of string and template literals, so SQL spelled anywhere is caught.
const unsafeMessage =
  "No $queryRawUnsafe / $executeRawUnsafe: use the sql`` tag (bind parameters), in packages/db terms.";
const roleMessage =
  "Roles and context settings are packages/db's: use database.withContext / withWorkerContext / reader / workerReader.";
const rawUnsafe = /^\$(query|execute)RawUnsafe$/.source;
const roleChange =
  /set_config\s*\(\s*'role'|\bSET\s+(LOCAL\s+|SESSION\s+)?ROLE\b|\bRESET\s+ROLE\b|SESSION\s+AUTHORIZATION|-c\s*role\s*=/
    .source;

export const rawUnsafeFence = [
  { selector: `MemberExpression[property.name=/${rawUnsafe}/]`, message: unsafeMessage },
  { selector: `MemberExpression[property.value=/${rawUnsafe}/]`, message: unsafeMessage },
  { selector: `Property[key.name=/${rawUnsafe}/]`, message: unsafeMessage },
];
/** Changes of role, in string and template literals. */
export const roleFence = [
  { selector: `Literal[value=/${roleChange}/i]`, message: roleMessage },
  { selector: `TemplateElement[value.raw=/${roleChange}/i]`, message: roleMessage },
];
/** Any set_config (roles and the context settings row-level security trusts). */
export const settingsFence = [
  { selector: "Literal[value=/set_config/i]", message: roleMessage },
  { selector: "TemplateElement[value.raw=/set_config/i]", message: roleMessage },
];
export const sqlFence = [...rawUnsafeFence, ...roleFence, ...settingsFence];

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/generated/**", "**/.turbo/**"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-non-null-assertion": "error",
    },
  },
  {
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: envMessage }],
      "no-restricted-syntax": ["error", envImport, ...sqlFence],
    },
  },
  // Tests may read process.env (a child process's environment, the browser tests' Chromium and
  // client build), and so may prisma.config.ts (the placeholder DATABASE_URL the Prisma CLI needs).
  // The SQL fence still holds for them.
  {
    files: ["**/env.ts", "**/*.test.ts", "**/e2e/**", "**/prisma.config.ts"],
    rules: { "no-restricted-properties": "off", "no-restricted-syntax": ["error", ...sqlFence] },
  },
  // Benchmarks replay the API's statements raw, context settings included, to measure what it adds;
  // they run as an operator and are never loaded by the host or the worker.
  { files: ["**/bench/**"], rules: { "no-restricted-syntax": ["error", envImport, ...rawUnsafeFence, ...roleFence] } },
  // packages/db is where roles and context are set.
  { files: ["packages/db/**"], rules: { "no-restricted-syntax": ["error", envImport] } },
  {
    files: ["packages/db/**/env.ts", "packages/db/**/*.test.ts", "packages/db/prisma.config.ts"],
    rules: { "no-restricted-syntax": "off" },
  },
  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },
);
