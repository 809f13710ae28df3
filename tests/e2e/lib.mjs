// The e2e harness: a real wimpud started on free loopback ports with a config written here, one
// headless Debian Chromium (playwright-core from web/wic/node_modules) with a context per web user
// and a page per tab, screenshots per step, and the admin JSON routes. Every wait is on an event
// or a UI state with a timeout, never a fixed sleep; every server is stopped by PID.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
// playwright-core is a dependency of the WIC (web/wic/package-lock.json); resolve it from there.
const wicRequire = createRequire(join(here, '..', '..', 'web', 'wic', 'package.json'));
const { chromium } = wicRequire('playwright-core');

export const STEP_MS = 15000; // bound on one UI step or server start, never a sleep

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    if (fallback !== undefined) return fallback;
    throw new Error(`missing --${name}`);
  }
  return process.argv[i + 1];
}

export class Failure extends Error {}

export function check(cond, message) {
  if (!cond) throw new Failure(message);
}

/** A free loopback TCP port (bind 0, note it, close it): for the few URLs a config must name. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A free loopback UDP port (bind 0, note it, close it). */
export function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `fn` (async, truthy = done) every 100 ms until `timeoutMs`; returns its value. */
export async function until(fn, what, timeoutMs = STEP_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Failure(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A process whose stdout is read line by line; stderr to a log file. Stopped by PID. */
export class Proc {
  constructor(name, argv, logDir, cwd = logDir) {
    this.name = name;
    this.lines = [];
    this.waiters = [];
    this.logPath = join(logDir, `${name}.log`);
    this.log = [];
    // cwd: the work directory (SIPp writes its -trace_err files there).
    const bin = argv[0].includes('/') ? resolve(argv[0]) : argv[0]; // relative to our cwd
    this.child = spawn(bin, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, sig) => resolve({ code, sig })));
    let buf = '';
    this.child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.lines.push(line);
        this.log.push(`[out] ${line}`);
        for (const w of [...this.waiters]) w(line);
      }
    });
    this.child.stderr.on('data', (d) => this.log.push(String(d).trimEnd()));
  }

  get pid() { return this.child.pid; }

  /** The first stdout line matching `re` (already seen or to come), within `timeoutMs`. */
  waitLine(re, timeoutMs = STEP_MS) {
    const seen = this.lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Failure(`${this.name}: no line ${re} in ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (line) => {
        if (re.test(line)) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(line);
        }
      };
      this.waiters.push(waiter);
      this.exited.then(({ code, sig }) => {
        clearTimeout(timer);
        reject(new Failure(`${this.name} exited (${code ?? sig}) before ${re}`));
      });
    });
  }

  /** SIGTERM by PID, then SIGKILL after `graceMs`; resolves with the exit status. */
  async stop(graceMs = 20000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    process.kill(this.child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (this.child.exitCode === null) process.kill(this.child.pid, 'SIGKILL');
    }, graceMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }

  saveLog() {
    writeFileSync(this.logPath, this.log.join('\n') + '\n');
  }
}

/** wimpud started on `configText`; ports from its "listening" lines. */
export class Wimpud {
  static async start(bin, dir, configText, name = 'wimpud') {
    const cfg = join(dir, `${name}.toml`);
    writeFileSync(cfg, configText);
    const w = new Wimpud();
    w.proc = new Proc(name, [bin, '--config', cfg], dir);
    w.ports = {};
    await w.proc.waitLine(/^wimpud: ready$/, 30000);
    for (const l of w.proc.lines) {
      const m = /^wimpud: (\w+) listening (\w+) (\S+):(\d+)$/.exec(l);
      if (m) w.ports[`${m[1]}/${m[2]}`] = Number(m[4]);
    }
    return w;
  }

  async admin(path, method = 'GET', body) {
    const res = await fetch(`http://127.0.0.1:${this.ports['admin/http']}${path}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    check(res.ok, `admin ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  /** A counter from /metrics (Prometheus text), 0 when absent. */
  async metric(name) {
    const res = await fetch(`http://127.0.0.1:${this.ports['admin/http']}/metrics`);
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(await res.text());
    return m ? Number(m[1]) : 0;
  }

  async bindings() {
    return (await this.admin('/admin/bindings')).bindings;
  }

  async block(id) {
    return (await this.admin('/admin/blocks')).blocks.find((b) => b.id === id);
  }
}

/** Test users in a fresh WWSF store via `wimpuctl user --store`. */
export async function addUsers(wimpuctl, store, users, block) {
  for (const [name, password] of users) {
    await new Promise((resolve, reject) => {
      const c = spawn(wimpuctl, ['user', '--store', store, 'add', name, '--block', block,
        '--password-stdin'], { stdio: ['pipe', 'ignore', 'inherit'] });
      c.stdin.end(`${password}\n`);
      c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`wimpuctl user add ${name}: ${code}`))));
    });
  }
}

/** The all-in-one config: WWSF + eP-CSCF (WSS) + eI-CSCF + in-process HSS + memory registrar. */
export function allInOneConfig(o) {
  const origin = `https://127.0.0.1:${o.wwsfPort}`;
  return `
[wimpud]
state_dir = "${o.stateDir}"
[admin]
port = 0
[tls]
self_signed = true
hosts = ["localhost", "127.0.0.1", "::1"]
[registrar]
backend = "memory"
[wwsf]
issuer = "${origin}"
default_block = "b1"
port = ${o.wwsfPort}
static_root = "${o.staticRoot}"
users = "${o.users}"
token_lifetime_s = ${o.tokenLifetime ?? 300}
${o.signingKey ? `signing_key_file = "${o.signingKey}"` : ''}
  [wwsf.wic]
  backoff_base_all_failed_s = 1
  register_expires_s = ${o.registerExpires ?? 600}
[ep_cscf]
realm = "ims.example"
allowed_origins = ["${origin}"]
  [[ep_cscf.listeners]]
  protocol = "wss"
  port = 0
  [[ep_cscf.listeners]]
  protocol = "udp"
  port = ${o.epUdpPort ?? 0}
  [ep_cscf.registration]
  retry_after = ${o.retryAfter ?? 7}
  [[ep_cscf.domains]]
  domain = "block.example"
  authz_server = "${origin}/api/token"
  upstream_icscf = "sip:127.0.0.1:${o.icscfPort};lr"
    [ep_cscf.domains.block]
    id = "b1"
    range_first = "${o.rangeFirst ?? '+15550000000'}"
    range_last = "${o.rangeLast ?? '+15550000009'}"
    quarantine_s = ${o.quarantine ?? 60}
    [[ep_cscf.domains.issuers]]
    issuer = "${origin}"
    [ep_cscf.domains.registration]   # the block, registered at start with the S-CSCF
    trigger = "startup"
    impu = "sip:+15550000000@block.example"
    private_identity = "block@block.example"
    retry_min_ms = 300
    retry_max_ms = 1000
    deregister_wait_ms = 1000
[ei_cscf]
wimpu_domains = ["block.example"]
  [[ei_cscf.listeners]]
  protocol = "udp"
  port = ${o.icscfPort}
  [ei_cscf.proxy]
  domains = ["block.example", "ims.example"]
  [[ei_cscf.scscf]]
  name = "sip:127.0.0.1:${o.scscfPort}"
  capabilities = [1]
${o.scscfProcess ? '' : scscfSection(o, 's_cscf.')}[hss]
subscribers = "${o.subscribers}"
${o.scscfProcess ? `serve_diameter = true
[diameter]
identity = "hss.e2e.example"
realm = "e2e.example"
port = ${o.diameterPort}
accept_peers = ["scscf.e2e.example"]
state_dir = "${o.stateDir}/diameter"
log_level = "error"` : ''}
`;
}

/**
 * The S-CSCF (nf/s-cscf) as its own process, Cx over Diameter to wimpud's HSS (TS 29.228): the
 * eI-CSCF routes terminating requests to it, it routes to the eP-CSCF by the block registration's
 * Path. Its UDP port, the eP-CSCF's and the eI-CSCF's are fixed in advance (free ports).
 */
export function scscfConfig(o) {
  return `${scscfSection(o, '')}
[diameter]
identity = "scscf.e2e.example"
realm = "e2e.example"
port = 0
tc_timer = 1
state_dir = "${o.stateDir}/scscf-diameter"
log_level = "error"
  [[diameter.peer]]
  identity = "hss.e2e.example"
  address = "127.0.0.1"
  port = ${o.diameterPort}
[hss]
realm = "e2e.example"
timeout_ms = 1000
`;
}

/**
 * The S-CSCF's own keys: in wimpud under [s_cscf] (`prefix` "s_cscf."), in wimpu-s-cscf's file
 * at the top level (listeners) and under [s_cscf]. Trusted node: the eP-CSCF's UDP listener
 * (block registration with auth-done), through the eI-CSCF.
 */
function scscfSection(o, prefix) {
  return `
[s_cscf]
server_name = "sip:127.0.0.1:${o.scscfPort}"
home_domains = ["ims.example", "block.example"]
trusted_nodes = ["127.0.0.1:${o.epUdpPort}"]
trusted_proxies = ["127.0.0.1:${o.icscfPort}"]
  [[s_cscf.icscf]]
  domain = "block.example"
  uri = "sip:127.0.0.1:${o.icscfPort}"
  [[s_cscf.icscf]]
  domain = "ims.example"
  uri = "sip:127.0.0.1:${o.icscfPort}"
[[${prefix}listeners]]
protocol = "udp"
address = "127.0.0.1"
port = ${o.scscfPort}
`;
}

/** HA1 of SIP Digest (RFC 2617 §3.2.2.2, MD5). */
export function ha1(user, realm, password) {
  return createHash('md5').update(`${user}:${realm}:${password}`).digest('hex');
}

/** HSS subscribers: the block's subscription, and the IMS UE `alice@ims.example` (SIPp; the same as examples/). */
export function subscribers(scscfPort) {
  return `
[capabilities]
server_names = ["sip:127.0.0.1:${scscfPort}"]
[[subscriber]]
impi = "block@block.example"
realm = "block.example"
ha1 = "${ha1('block@block.example', 'block.example', 'unused')}"
unregistered_services = true
  [[subscriber.implicit_set]]
  public_identities = ["sip:+15550000000@block.example", "sip:+1555000!.*!@block.example"]
[[subscriber]]
impi = "alice@ims.example"
realm = "ims.example"
ha1 = "${ha1('alice@ims.example', 'ims.example', 'alice-secret')}"
  [[subscriber.implicit_set]]
  public_identities = ["sip:alice@ims.example"]
`;
}


// Loopback only (BRIEF): Chromium gathers host candidates on every interface, so each page drops
// the non-loopback ones from what it signals (and there is no STUN server). The remote side then
// only ever sees 127.0.0.1 / ::1 candidates, so no media goes to another address.
const LOOPBACK_ONLY = `(() => {
  const keep = (line) => !/^a=candidate:/.test(line) ||
    / (127\\.0\\.0\\.1|::1) \\d+ typ /.test(line);
  const filter = (sdp) => sdp.split('\\r\\n').filter(keep).join('\\r\\n');
  const desc = Object.getOwnPropertyDescriptor(RTCPeerConnection.prototype, 'localDescription');
  Object.defineProperty(RTCPeerConnection.prototype, 'localDescription', {
    configurable: true,
    get() {
      const d = desc.get.call(this);
      return d ? new RTCSessionDescription({ type: d.type, sdp: filter(d.sdp) }) : d;
    },
  });
})();`;

/** One headless Chromium; a context per web user, a page per tab. */
export class Browser {
  static async launch(work) {
    const b = new Browser();
    b.errors = [];
    b.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
        '--allow-loopback-in-peer-connection',
        '--disable-features=WebRtcHideLocalIpsWithMdns'],
      timeout: 60000,
    });
    b.work = work;
    return b;
  }

  async context() {
    const c = await this.browser.newContext({ ignoreHTTPSErrors: true });
    await c.addInitScript(LOOPBACK_ONLY);
    return c;
  }

  async tab(context, url) {
    const page = await context.newPage();
    page.on('pageerror', (e) => this.errors.push(`page error: ${e.message}`));
    await page.goto(url, { waitUntil: 'load' });
    return page;
  }

  /** Screenshots of every open tab (after a failure). */
  async shootAll(dir) {
    let n = 0;
    for (const c of this.browser.contexts()) {
      for (const p of c.pages()) {
        n += 1;
        await p.screenshot({ path: join(dir, `failure_tab${n}.png`), fullPage: true }).catch(() => {});
      }
    }
  }

  async close() {
    await this.browser.close().catch(() => {});
  }
}

/** Screenshots numbered in order under artifacts/<scenario>/. */
export class Shots {
  constructor(dir) {
    this.dir = dir;
    this.n = 0;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  async take(page, step) {
    this.n += 1;
    this.t0 = this.t0 ?? Date.now();
    console.log(`  +${((Date.now() - this.t0) / 1000).toFixed(1)} s ${step}`);
    const file = join(this.dir, `${String(this.n).padStart(2, '0')}_${step}.png`);
    await page.screenshot({ path: file, fullPage: true });
  }
}

// --- WIC steps (data-testid) ---

export async function login(page, user, password) {
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('login-button').click();
  await page.getByTestId('token-state').filter({ hasText: 'token held' }).waitFor({ timeout: STEP_MS });
}

/** Waits until the tab is registered; returns its IMPU. */
export async function registered(page, timeoutMs = STEP_MS) {
  await page.getByTestId('sip-state').filter({ hasText: /^registered$/ }).waitFor({ timeout: timeoutMs });
  return (await page.getByTestId('impu').textContent()).trim();
}

export async function callState(page, re, timeoutMs = STEP_MS) {
  await page.getByTestId('call-state').filter({ hasText: re }).waitFor({ timeout: timeoutMs });
  return (await page.getByTestId('call-state').textContent()).trim();
}

/**
 * From now on, every text the element `testId` shows is recorded in the page (a MutationObserver:
 * no polling gap), so a state shorter than a poll interval (e.g. a call the peer ends 0.5 s after
 * it is established) is not missed; seenState() waits for one. Called again: starts afresh.
 */
export async function recordStates(page, testId) {
  await page.evaluate((id) => {
    window.seenStates = window.seenStates ?? {};
    window.seenObservers = window.seenObservers ?? {};
    window.seenObservers[id]?.disconnect();
    const el = document.querySelector(`[data-testid="${id}"]`);
    window.seenStates[id] = [];
    const seen = window.seenStates[id];
    window.seenObservers[id] = new MutationObserver(() => seen.push(el.textContent.trim()));
    window.seenObservers[id].observe(el, { childList: true, characterData: true, subtree: true });
  }, testId);
}

/** The states recordStates(page, testId) saw, in order. */
export async function seenStates(page, testId) {
  return page.evaluate((id) => window.seenStates[id], testId);
}

/** Waits until the element `testId` (recorded by recordStates) has shown a text matching `re`. */
export async function seenState(page, testId, re, timeoutMs = STEP_MS) {
  return until(async () => (await seenStates(page, testId)).find((t) => re.test(t)),
    `${testId} to show ${re}`, timeoutMs);
}

export async function dial(page, target) {
  await page.getByTestId('dial-target').fill(target);
  await page.getByTestId('call-button').click();
}

/** A scenario runner: work dir, artifacts, cleanup in reverse order, exit code. */
export async function runScenario(name, body) {
  const work = mkdtempSync(join(tmpdir(), `wimpu-e2e-${name}-`));
  const cleanups = [];
  const procs = [];
  const ctx = {
    work,
    artifacts: join(arg('artifacts'), name),
    onCleanup: (fn) => cleanups.push(fn),
    track: (p) => { procs.push(p); return p; },
  };
  let ok = false;
  const t0 = Date.now();
  const secs = (t) => ((Date.now() - t) / 1000).toFixed(1);
  try {
    await body(ctx);
    ok = true;
    console.log(`${name}: scenario took ${secs(t0)} s`);
  } catch (e) {
    console.error(`${name}: FAIL: ${e instanceof Failure ? e.message : e.stack || e}`);
    ctx.failed = true;
  } finally {
    for (const fn of cleanups.reverse()) {
      try { await fn(); } catch (e) { console.error(`${name}: cleanup: ${e.message}`); }
    }
    const artifacts = arg('artifacts');
    mkdirSync(join(artifacts, name), { recursive: true });
    // Reverse start order: the S-CSCF leaves while its Diameter peer (wimpud's HSS) is still up.
    for (const p of [...procs].reverse()) {
      const t1 = Date.now();
      const r = await p.stop();
      console.log(`${name}: ${p.name} stopped in ${secs(t1)} s`);
      p.logPath = join(artifacts, name, `${p.name}.log`);
      p.saveLog();
      if (ok && r.code !== 0 && r.sig !== 'SIGTERM') {
        console.error(`${name}: ${p.name} exited with ${r.code ?? r.sig}`);
        ok = false;
      }
    }
    if (!ok) for (const p of procs) console.error(`--- ${p.name} log: ${p.logPath}`);
    rmSync(work, { recursive: true, force: true });
  }
  if (ok) console.log(`${name}: passed`);
  process.exitCode = ok ? 0 : 1;
}
