// A bounded, paced TCP load on 127.0.0.1 for the live cross-check (test/proc/live.test.ts):
//   - one stream: 8 KiB written every 2 ms with TCP_NODELAY (about 500 data segments/s, plus
//     ACKs), read and discarded by the server;
//   - a short connection every 20 ms, closed by the client with a RST (ActiveOpens, PassiveOpens,
//     EstabResets, OutRsts);
//   - a connection attempt to a closed port every 50 ms (AttemptFails, and the RST that refuses it).
// Paced by the clock so the rates are steady over any 1 s window. Exits by itself after
// argv[2] seconds (default 20). Loopback only.
import net from 'node:net';

const seconds = Number(process.argv[2] ?? 20);
const deadline = Date.now() + seconds * 1000;
const chunk = Buffer.alloc(8192, 0x61);

const server = net.createServer((s) => {
  s.on('data', () => {});
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  // A port that is closed: bind one, note it, close it.
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1', () => {
    const closedPort = probe.address().port;
    probe.close(() => run(port, closedPort));
  });
});

function run(port, closedPort) {
  const stream = net.connect({ port, host: '127.0.0.1', noDelay: true });
  stream.on('error', () => {});
  const timers = [
    paced(2, () => stream.write(chunk)),
    paced(20, () => {
      const c = net.connect({ port, host: '127.0.0.1' }, () => c.resetAndDestroy());
      c.on('error', () => {});
    }),
    paced(50, () => {
      const c = net.connect({ port: closedPort, host: '127.0.0.1' });
      c.on('error', () => {});
    }),
  ];
  setTimeout(
    () => {
      timers.forEach((t) => t.stop());
      stream.destroy();
      server.close();
      setTimeout(() => process.exit(0), 200).unref();
    },
    Math.max(0, deadline - Date.now()),
  );
  process.stdout.write(`ready ${port}\n`);
}

/** Call f every `ms` milliseconds on average: late ticks catch up, so the rate stays steady. */
function paced(ms, f) {
  let next = Date.now();
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const now = Date.now();
    while (next <= now) {
      f();
      next += ms;
    }
    setTimeout(tick, next - now);
  };
  tick();
  return { stop: () => (stopped = true) };
}
