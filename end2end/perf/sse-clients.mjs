// Holds N live-update streams open on a monitor for a while and reports what they got, as JSON:
//   node perf/sse-clients.mjs URL N SECONDS [TOKEN]
// Each client counts the events it received and whether its stream stayed open; every loop is bounded in time.
import http from "node:http";

const [url, n, seconds, token] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const target = new URL("/api/updates", url);
const clients = [];
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

function connect(i) {
  const client = { ready: false, events: 0, errors: 0, ended: false };
  clients.push(client);
  const headers = { Accept: "text/event-stream" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const req = http.get(target, { agent, headers }, (res) => {
    if (res.statusCode !== 200) { client.errors++; res.resume(); return; }
    res.setEncoding("utf8");
    res.on("data", (chunk) => {
      for (const line of chunk.split("\n")) {
        if (line === "event: ready") client.ready = true;
        else if (line.startsWith("event: ") && line !== "event: resync") client.events++;
      }
    });
    res.on("end", () => { client.ended = true; });
    res.on("error", () => { client.errors++; });
  });
  req.on("error", () => { client.errors++; });
  client.request = req;
}

for (let i = 0; i < n; i++) connect(i);
setTimeout(() => {
  const events = clients.map((c) => c.events).sort((a, b) => a - b);
  const report = {
    clients: n,
    ready: clients.filter((c) => c.ready).length,
    open_at_end: clients.filter((c) => c.ready && !c.ended && c.errors === 0).length,
    errors: clients.reduce((s, c) => s + c.errors, 0),
    events_min: events[0] ?? 0,
    events_max: events[events.length - 1] ?? 0,
  };
  console.log(JSON.stringify(report));
  for (const c of clients) c.request.destroy();
  process.exit(0);
}, seconds * 1000);
