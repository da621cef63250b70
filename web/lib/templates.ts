import type { Runtime } from "@/lib/api";

export interface Template {
  id: string;
  title: string;
  description: string;
  /** The single source file, per runtime (saved as index.js / main.py). */
  code: Record<Runtime, string>;
  /** The test event the function page starts with. */
  event: unknown;
}

export const SOURCE_FILE: Record<Runtime, string> = { nodejs: "index.js", python: "main.py" };

export const TEMPLATES: Template[] = [
  {
    id: "hello",
    title: "Hello world",
    description: "Greets whoever is named in the event. The smallest complete handler.",
    event: { name: "VoltRun" },
    code: {
      nodejs: `// Called once per invocation. \`event\` is the JSON sent to the function;
// \`context\` carries the execution id and the time left.
exports.handler = async (event, context) => {
  const name = event?.name ?? "world";
  console.log(\`Saying hello to \${name}\`);
  return { message: \`Hello, \${name}!\`, requestId: context.awsRequestId };
};
`,
      python: `# Called once per invocation. \`event\` is the JSON sent to the function;
# \`context\` carries the execution id and the time left.
def handler(event, context):
    name = event.get("name", "world") if isinstance(event, dict) else "world"
    print(f"Saying hello to {name}")
    return {"message": f"Hello, {name}!", "request_id": context.aws_request_id}
`,
    },
  },
  {
    id: "http-api",
    title: "HTTP API",
    description: "Answers requests to /fn/<name>/… with a status code, headers and a JSON body.",
    event: {
      rawPath: "/items",
      rawQueryString: "limit=2",
      headers: { "content-type": "application/json" },
      requestContext: { http: { method: "GET" } },
      body: "",
      isBase64Encoded: false,
    },
    code: {
      nodejs: `// Reached over HTTP at /fn/<name>/<path>. The event describes the request
// (rawPath, rawQueryString, headers, body); the returned object is the response.
const items = [
  { id: 1, name: "Keyboard" },
  { id: 2, name: "Monitor" },
  { id: 3, name: "Desk lamp" },
];

exports.handler = async (event) => {
  const method = event.requestContext?.http?.method ?? "GET";
  const path = event.rawPath ?? "/";
  const query = new URLSearchParams(event.rawQueryString ?? "");

  if (method === "GET" && path === "/items") {
    const limit = Number(query.get("limit") ?? items.length);
    return json(200, { items: items.slice(0, limit) });
  }
  return json(404, { error: \`No route for \${method} \${path}\` });
};

function json(statusCode, body) {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
`,
      python: `# Reached over HTTP at /fn/<name>/<path>. The event describes the request
# (rawPath, rawQueryString, headers, body); the returned dict is the response.
import json
from urllib.parse import parse_qs

ITEMS = [
    {"id": 1, "name": "Keyboard"},
    {"id": 2, "name": "Monitor"},
    {"id": 3, "name": "Desk lamp"},
]


def handler(event, context):
    method = event.get("requestContext", {}).get("http", {}).get("method", "GET")
    path = event.get("rawPath", "/")
    query = parse_qs(event.get("rawQueryString", ""))

    if method == "GET" and path == "/items":
        limit = int(query.get("limit", [len(ITEMS)])[0])
        return respond(200, {"items": ITEMS[:limit]})
    return respond(404, {"error": f"No route for {method} {path}"})


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
`,
    },
  },
  {
    id: "json-transform",
    title: "JSON transform",
    description: "Reshapes an order payload: totals per order and a grand total.",
    event: {
      orders: [
        {
          id: "A-100",
          items: [
            { sku: "pen", price: 1.5, qty: 4 },
            { sku: "pad", price: 3.25, qty: 2 },
          ],
        },
        { id: "A-101", items: [{ sku: "ink", price: 7.9, qty: 1 }] },
      ],
    },
    code: {
      nodejs: `// Turns { orders: [{ id, items: [{ price, qty }] }] } into per-order totals.
exports.handler = async (event) => {
  const orders = (event.orders ?? []).map((order) => ({
    id: order.id,
    items: order.items.length,
    total: round(order.items.reduce((sum, item) => sum + item.price * item.qty, 0)),
  }));
  return { orders, grandTotal: round(orders.reduce((sum, o) => sum + o.total, 0)) };
};

const round = (n) => Math.round(n * 100) / 100;
`,
      python: `# Turns {"orders": [{"id", "items": [{"price", "qty"}]}]} into per-order totals.
def handler(event, context):
    orders = [
        {
            "id": order["id"],
            "items": len(order["items"]),
            "total": round(sum(i["price"] * i["qty"] for i in order["items"]), 2),
        }
        for order in event.get("orders", [])
    ]
    return {"orders": orders, "grand_total": round(sum(o["total"] for o in orders), 2)}
`,
    },
  },
];

const EVENT_KEY = (fn: string) => `voltrun.event.${fn}`;

/** The test event last used for a function, kept per browser. */
export function loadEvent(fnId: string, fnName: string): string {
  return (
    localStorage.getItem(EVENT_KEY(fnId)) ??
    localStorage.getItem(EVENT_KEY(fnName)) ??
    JSON.stringify({ name: "VoltRun" }, null, 2)
  );
}

export function saveEvent(fnKey: string, text: string) {
  localStorage.setItem(EVENT_KEY(fnKey), text);
}
