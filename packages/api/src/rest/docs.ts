import type { OpenApiDocument } from "./openapi.ts";

// The REST API's reference page (/api/v1/docs): plain HTML rendered from the OpenAPI document,
// so it cannot say something the document does not. No scripts, no styles of its own, nothing
// from a CDN: it is served under the host's content security policy as it is.

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

// `code` spans of the descriptions, escaped first.
function prose(text: string): string {
  return escape(text)
    .split("\n\n")
    .map((paragraph) => `<p>${paragraph.replace(/`([^`]+)`/g, "<code>$1</code>")}</p>`)
    .join("\n");
}

function json(value: unknown): string {
  return `<pre><code>${escape(JSON.stringify(value, null, 2))}</code></pre>`;
}

export function docsPage(document: OpenApiDocument): string {
  const server = document.servers[0]?.url ?? "";
  const sections: string[] = [];
  const index: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const id = escape(operation.operationId);
      index.push(
        `<li><a href="#${id}">${escape(method.toUpperCase())} ${escape(path)}</a>: ${escape(operation.summary)}</li>`,
      );
      const parameters = operation.parameters
        .map(
          (parameter) =>
            `<tr><td><code>${escape(parameter.name)}</code></td><td>${parameter.in}</td><td>${parameter.required ? "yes" : "no"}</td><td><code>${escape(JSON.stringify(parameter.schema))}</code></td></tr>`,
        )
        .join("\n");
      const responses = Object.entries(operation.responses)
        .map(([status, response]) => `<li><strong>${escape(status)}</strong>: ${escape(response.description)}</li>`)
        .join("\n");
      const success = Object.values(operation.responses)[0];
      sections.push(`<section id="${id}">
<h2>${escape(method.toUpperCase())} <code>${escape(path)}</code></h2>
<p><strong>${escape(operation.summary)}</strong></p>
${prose(operation.description)}
${parameters ? `<h3>Parameters</h3><table><thead><tr><th>Name</th><th>In</th><th>Required</th><th>Schema</th></tr></thead><tbody>${parameters}</tbody></table>` : ""}
${operation.requestBody ? `<h3>Request body</h3>${json(operation.requestBody.content)}` : ""}
<h3>Responses</h3>
<ul>${responses}</ul>
${success && "content" in success ? `<h4>Answer</h4>${json(success.content)}` : ""}
</section>`);
    }
  }
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(document.info.title)} reference</title></head>
<body>
<main>
<h1>${escape(document.info.title)} v${escape(document.info.version)}</h1>
${prose(document.info.description)}
<p>Base URL: <code>${escape(server)}</code>. The machine-readable description: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<pre><code>curl -H "Authorization: Bearer $NORTHSTAR_API_KEY" ${escape(server)}/kpis</code></pre>
<h2>Endpoints</h2>
<ul>
${index.join("\n")}
</ul>
${sections.join("\n")}
<section id="errors">
<h2>Errors</h2>
${json(document.components.schemas.Error)}
</section>
</main>
</body>
</html>
`;
}
