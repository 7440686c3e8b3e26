/**
 * The API reference page, rendered on the server with Hono's JSX from the OpenAPI document:
 * one section per operation with its parameters, request fields (from the zod schemas) and
 * responses. No script and no CDN, so it works on an offline network.
 */
import type { FC } from "hono/jsx";
import type { OpenApiDocument } from "./document.js";

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
};
interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: JsonSchema;
}
interface Operation {
  tags: string[];
  summary: string;
  description?: string;
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
  security?: unknown[];
}

/** A compact type label: `string`, `integer 1–50`, `"a" | "b"`, `array of object`. */
function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" or ");
  const type = Array.isArray(s.type) ? s.type.join(" or ") : (s.type ?? "any");
  if (type === "array" && s.items) return `array of ${typeOf(s.items)}`;
  const range = s.minimum !== undefined && s.maximum !== undefined && s.maximum < 1e15 ? ` ${s.minimum}–${s.maximum}` : "";
  return `${type}${range}${s.maxLength ? ` (≤ ${s.maxLength} chars)` : ""}`;
}

const Fields: FC<{ schema: JsonSchema }> = ({ schema }) => {
  const entries = Object.entries(schema.properties ?? {});
  if (entries.length === 0) return <p class="muted">JSON body (see the description).</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>field</th>
          <th>type</th>
          <th>description</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([name, field]) => (
          <tr>
            <td>
              <code>{name}</code>
              {(schema.required ?? []).includes(name) ? <span class="req"> required</span> : null}
            </td>
            <td>{typeOf(field)}</td>
            <td>
              {field.description ?? ""}
              {field.default !== undefined ? <span class="muted"> Default {JSON.stringify(field.default)}.</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};

const OperationSection: FC<{ method: string; path: string; op: Operation }> = ({ method, path, op }) => {
  const body = op.requestBody && Object.entries(op.requestBody.content)[0];
  return (
    <section id={op.operationId}>
      <h3>
        <span class={`method ${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
      </h3>
      <p>
        <strong>{op.summary}</strong>
        {op.security?.length === 0 ? <span class="muted"> · no key needed</span> : null}
      </p>
      {op.description ? <p>{op.description}</p> : null}
      {op.parameters?.length ? (
        <>
          <h4>Parameters</h4>
          <table>
            <tbody>
              {op.parameters.map((p) => (
                <tr>
                  <td>
                    <code>{p.name}</code> <span class="muted">({p.in})</span>
                    {p.required ? <span class="req"> required</span> : null}
                  </td>
                  <td>{typeOf(p.schema)}</td>
                  <td>{p.description ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {body ? (
        <>
          <h4>
            Request body <span class="muted">({body[0]})</span>
          </h4>
          <Fields schema={body[1].schema} />
        </>
      ) : null}
      <h4>Responses</h4>
      <ul>
        {Object.entries(op.responses).map(([status, r]) => (
          <li>
            <code>{status}</code> {r.description}
            {r.content ? <span class="muted"> ({Object.keys(r.content).join(", ")})</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
};

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse;width:100%;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top;text-align:left}.muted{color:#777}.req{color:#b00;font-size:12px}
.method{display:inline-block;min-width:4.2em;font-size:13px;color:#fff;border-radius:3px;padding:0 .4em;text-align:center}
.get{background:#2a7}.post{background:#27c}.delete{background:#c33}section{border-top:1px solid #eee;padding-top:.5rem}nav li{margin:.1rem 0}`;

export const ReferencePage: FC<{ doc: OpenApiDocument }> = ({ doc }) => {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op: op as Operation })));
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${doc.info.title} API reference`}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <h1>{doc.info.title} API reference</h1>
        <p>{doc.info.description}</p>
        <p>
          Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI {doc.openapi}).
        </p>
        {doc.tags.map((tag) => (
          <>
            <h2>{tag.name}</h2>
            <nav>
              <ul>
                {operations
                  .filter((o) => o.op.tags.includes(tag.name))
                  .map((o) => (
                    <li>
                      <a href={`#${o.op.operationId}`}>
                        {o.method.toUpperCase()} {o.path}
                      </a>{" "}
                      — {o.op.summary}
                    </li>
                  ))}
              </ul>
            </nav>
            {operations
              .filter((o) => o.op.tags.includes(tag.name))
              .map((o) => (
                <OperationSection method={o.method} path={o.path} op={o.op} />
              ))}
          </>
        ))}
      </body>
    </html>
  );
};
