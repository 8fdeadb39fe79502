import { z } from "zod";
import { type RestRoute, restRoutes } from "./routes.ts";
import { errorAnswer } from "./schemas.ts";

// The OpenAPI 3.1 document of the REST API (/api/v1/openapi.json), generated from the routes and
// their zod schemas (z.toJSONSchema; OpenAPI 3.1's schemas are JSON Schema 2020-12), so it says
// what the handler checks. Dates, which JSON Schema cannot express, are date-time strings.

type JsonSchema = z.core.JSONSchema.BaseSchema;

const statusText: Record<number, string> = {
  400: "The request is not valid: `issues` names each refused value by its path.",
  401: "No API key, or one that is malformed, unknown or revoked.",
  403: "The key's scope (or its creator's role) does not allow this, or a plan limit is reached.",
  404: "No such KPI in the key's workspace.",
  409: "Conflicts with what exists (a KPI name in use, a point already imported).",
  413: "Too large: more than 10,000 points, or a body over the server's limit.",
  415: "The body has the wrong content type.",
  429: "Too many requests for this key: wait `Retry-After` seconds.",
  500: "Something went wrong on the server; try again.",
};

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: ({ zodSchema }) =>
      zodSchema._zod.def.type === "date" ? { type: "string", format: "date-time" } : "throw",
  });
  delete json.$schema;
  return json;
}

interface Parameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: z.core.JSONSchema._JSONSchema;
}

function parameters(route: RestRoute): Parameter[] {
  const found: Parameter[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({
    name: match[1] ?? "",
    in: "path" as const,
    required: true,
    schema: { type: "string", format: "uuid" },
  }));
  if (!route.query) return found;
  const query = schemaOf(route.query, "input");
  const required = new Set(query.required ?? []);
  for (const [name, schema] of Object.entries(query.properties ?? {})) {
    found.push({ name, in: "query", required: required.has(name), schema });
  }
  return found;
}

function requestBody(route: RestRoute) {
  if (!route.body) return undefined;
  if (route.body.type === "csv")
    return {
      required: true,
      content: { "text/csv": { schema: { type: "string" }, example: "date,signups\n2026-11-01,12\n2026-11-02,15\n" } },
    };
  return { required: true, content: { "application/json": { schema: schemaOf(route.body.schema, "input") } } };
}

function operation(route: RestRoute) {
  const errors = [...new Set([...route.errors, 401, 429, 500])].sort((a, b) => a - b);
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: `${route.description}\n\nScope: \`${route.scope}\`.`,
    parameters: parameters(route),
    ...(route.body ? { requestBody: requestBody(route) } : {}),
    responses: {
      [String(route.status)]: {
        description: "Done.",
        content: { "application/json": { schema: schemaOf(route.answer, "output") } },
      },
      ...Object.fromEntries(
        errors.map((status) => [
          String(status),
          {
            description: statusText[status] ?? "Refused.",
            ...(status === 429
              ? { headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds to wait." } } }
              : {}),
            content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
          },
        ]),
      ),
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildDocument>;

function buildDocument(serverUrl: string) {
  const paths: Record<string, Record<string, ReturnType<typeof operation>>> = {};
  for (const route of restRoutes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Northstar API",
      version: "1",
      description:
        "Push and read KPI data from scripts and other systems. Authenticate with `Authorization: Bearer <key>`: an OWNER or ADMIN creates keys in the workspace's Settings → API keys. A key acts in its own workspace only; `read` keys read, `write` keys read and write. Errors are `{ error: { code, message } }` with a stable `code`.",
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", bearerFormat: "ns_live_<public id>_<secret>" } },
      schemas: { Error: schemaOf(errorAnswer, "output") },
    },
  };
}

let built: { serverUrl: string; document: OpenApiDocument } | null = null;

/** The document for a server at `serverUrl` (…/api/v1), built once. */
export function openApiDocument(serverUrl: string): OpenApiDocument {
  if (built?.serverUrl !== serverUrl) built = { serverUrl, document: buildDocument(serverUrl) };
  return built.document;
}
