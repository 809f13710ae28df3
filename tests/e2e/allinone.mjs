// End-to-end scenarios of issue 7 against the all-in-one wimpud (WWSF, eP-CSCF, eI-CSCF, S-CSCF,
// HSS and the memory registrar in one process; the block registered with the S-CSCF at start),
// driven through the WIC in headless Chromium, and SIPp as an IMS UE.
//
// usage: node allinone.mjs --scenario NAME --wimpud BIN --wimpuctl BIN --static-root DIR
//          --artifacts DIR [--sipp-scenarios DIR] [--scscf-process --scscf BIN]
//   call         (1) two web users, distinct IMPUs, A calls B, media both ways, A hangs up
//   fork         (2) B in two tabs (one IMPU), both ring, one answers, the other gets CANCEL+Reason
//   ims_ue       (3) a SIPp UE (SIP Digest at the S-CSCF) calls a WIC and is called by it
//   unavailable  (4) a block IMPU nobody holds -> 480; an unknown number -> 404
//   refusals     (5) expired token, untrusted issuer -> 401 invalid_token; foreign Origin -> 403;
//                    exhausted pool -> 503 + Retry-After; the WIC says why each time
//   bindings     (6) a closed tab's binding goes at once; the IMPU is quarantined, handed back to
//                    the same user within the quarantine, and free again after it
//   restart      (7) split only: restart the eP-CSCF; the WICs reconnect, re-register, keep their IMPU
// --scscf-process: the S-CSCF as its own process (wimpu-s-cscf), Cx over Diameter to wimpud's HSS.
// --split --split-script scripts/split --build-dir BUILD: the split deployment (scripts/split);
// the same scenario bodies, their deploy options passed as `scripts/split start --set` overrides.
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import {
  addUsers, allInOneConfig, arg, Browser, callState, check, dial, Failure, freePort, freeUdpPort, login,
  Proc, recordStates, registered, runScenario, scscfConfig, seenState, seenStates, Shots, STEP_MS,
  subscribers, until, Wimpud,
} from './lib.mjs';

const scenario = arg('scenario');
const PASSWORD = 'e2e-password';

/** Runs a command to its end; resolves with its stdout, fails on a non-zero exit. */
function run(argv, what, input) {
  return new Promise((resolveRun, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (x) => { out += x; });
    c.stderr.on('data', (x) => { err += x; });
    c.stdin.end(input ?? '');
    c.once('exit', (code) => (code === 0 ? resolveRun(out)
      : reject(new Failure(`${what} exited with ${code}: ${err.trim()}`))));
  });
}

/**
 * The deploy options a scenario asks for, as `scripts/split start --set FUNCTION.KEY=VALUE`
 * overrides of examples/split (ports written as there: the script moves them). The eP-CSCF's pool
 * and the eI-CSCF's W4 check share the block in redis, so both get its range and quarantine.
 */
function splitOverrides(opts) {
  const sets = [];
  const block = (key, value) => sets.push(`ep-cscf.ep_cscf.domains[0].block.${key}=${value}`,
    `ei-cscf.blocks[0].${key}=${value}`);
  if (opts.rangeFirst) block('range_first', JSON.stringify(opts.rangeFirst));
  if (opts.rangeLast) block('range_last', JSON.stringify(opts.rangeLast));
  if (opts.quarantine) block('quarantine_s', opts.quarantine);
  if (opts.retryAfter) sets.push(`ep-cscf.ep_cscf.registration.retry_after=${opts.retryAfter}`);
  if (opts.signingKey) sets.push(`wwsf.wwsf.signing_key_file=${JSON.stringify(opts.signingKey)}`);
  // examples/split also allows https://localhost:<port>, the foreign origin of scenario 5.
  if (opts.ownOriginOnly) sets.push('ep-cscf.ep_cscf.allowed_origins=["https://127.0.0.1:20000"]');
  return sets.flatMap((s) => ['--set', s]);
}

/**
 * The split deployment (scripts/split: a wimpud per function, redis W4, Cx over Diameter) on a
 * free port range in the work directory, with the scenario's options as overrides; stopped by
 * `split stop` (the PIDs it recorded).
 */
async function deploySplit(ctx, opts) {
  const dir = join(ctx.work, 'split');
  const split = arg('split-script');
  const build = arg('build-dir');
  const started = await run([split, 'start', '--dir', dir, '--port-base', 'auto', '--build', build,
    ...splitOverrides(opts)], 'split start');
  ctx.onCleanup(async () => {
    await run([split, 'stop', '--dir', dir], 'split stop');
  });
  ctx.splitRestart = (fn) => run([split, 'restart', fn, '--dir', dir], `split restart ${fn}`);
  const ports = JSON.parse(readFileSync(join(dir, 'ports.json'), 'utf8'));
  check(/^ready$/m.test(started), `split start did not say ready: ${started}`);
  // The web users, in the WWSF's store (re-read when the file changes): alice and bob.
  const store = join(dir, 'wwsf', 'users.json');
  await addUsers(arg('wimpuctl'), store, (opts.userNames ?? ['alice', 'bob']).map((u) => [u, PASSWORD]), 'b1');
  const base = `https://127.0.0.1:${ports.wwsf_https}`;
  for (const u of opts.userNames ?? ['alice', 'bob']) {
    await until(async () => (await loginStatus(base, u)) === 200, `WWSF knows ${u}`);
  }
  const epcscf = Object.assign(new Wimpud(), {
    ports: { 'admin/http': ports.ep_cscf_admin, 'ep_cscf/wss': ports.ep_cscf_wss },
  });
  const hss = Object.assign(new Wimpud(), { ports: { 'admin/http': ports.hss_admin } });
  const browser = await Browser.launch(ctx.work);
  ctx.onCleanup(async () => {
    if (ctx.failed) await browser.shootAll(ctx.artifacts);
    await browser.close();
    check(browser.errors.length === 0, browser.errors.join('; '));
  });
  return {
    wimpud: epcscf, hss, browser, base, wwsfPort: ports.wwsf_https, icscfPort: ports.ei_cscf_udp,
    core: { scscfPort: ports.s_cscf_udp }, splitDir: dir,
  };
}

/** POST /api/login's status for `user` (node, the self-signed certificate not checked). */
function loginStatus(base, user) {
  return new Promise((resolveLogin) => {
    const body = JSON.stringify({ username: user, password: PASSWORD });
    const req = httpsRequest(`${base}/api/login`, {
      method: 'POST', rejectUnauthorized: false,
      headers: { 'Content-Type': 'application/json', Origin: base, 'Content-Length': body.length },
    }, (res) => { res.resume(); resolveLogin(res.statusCode); });
    req.on('error', () => resolveLogin(0));
    req.end(body);
  });
}

/** Writes the users, the subscribers and the config; starts wimpud; opens the browser. */
async function deploy(ctx, opts = {}) {
  if (process.argv.includes('--split')) return deploySplit(ctx, opts);
  const wwsfPort = await freePort();
  const users = join(ctx.work, 'users.json');
  await addUsers(arg('wimpuctl'), users, (opts.userNames ?? ['alice', 'bob']).map((u) => [u, PASSWORD]), 'b1');
  const subs = join(ctx.work, 'subscribers.toml');
  // Ports other configs must name: picked free now (the rest bind port 0).
  const core = {
    scscfPort: await freeUdpPort(), epUdpPort: await freeUdpPort(), icscfPort: await freeUdpPort(),
    diameterPort: opts.scscfProcess ? await freePort() : 0, scscfProcess: !!opts.scscfProcess,
  };
  writeFileSync(subs, subscribers(core.scscfPort));
  const stateDir = join(ctx.work, 'state');
  const config = allInOneConfig({
    wwsfPort, users, subscribers: subs, stateDir, staticRoot: resolve(arg('static-root')),
    // The block's own IMPU (+15550000000, registered with the S-CSCF) is not handed to WICs.
    rangeFirst: '+15550000001', ...opts, ...core,
  });
  const t0 = Date.now();
  const took = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const wimpud = await Wimpud.start(arg('wimpud'), ctx.work, config);
  ctx.track(wimpud.proc);
  console.log(`  wimpud started after ${took()}`);
  let scscf = null;
  if (core.scscfProcess) {
    const cfg = join(ctx.work, 'scscf.toml');
    writeFileSync(cfg, scscfConfig({ ...core, stateDir }));
    scscf = ctx.track(new Proc('scscf', [arg('scscf'), '--config', cfg], ctx.work));
    await scscf.waitLine(/^listening udp /);
  }
  // /readyz is 503 until the block registration (eP-CSCF -> eI-CSCF (UAR) -> S-CSCF (SAR)) got
  // its 200; with the S-CSCF in its own process, retried every <= 1 s until its Cx link is up.
  await until(async () => (await fetch(`http://127.0.0.1:${wimpud.ports['admin/http']}/readyz`)).ok,
    'wimpud ready (block registered with the S-CSCF)', 30000);
  console.log(`  wimpud ready after ${took()}`);
  const browser = await Browser.launch(ctx.work);
  console.log(`  Chromium launched after ${took()}`);
  ctx.onCleanup(async () => {
    if (ctx.failed) await browser.shootAll(ctx.artifacts);
    await browser.close();
    check(browser.errors.length === 0, browser.errors.join('; '));
  });
  return { wimpud, scscf, core, icscfPort: core.icscfPort, browser, base: `https://127.0.0.1:${wwsfPort}`, wwsfPort };
}

/** A user's first tab, logged in and registered; returns { context, page, impu }. */
async function userTab(d, user, shots) {
  const context = await d.browser.context();
  const page = await d.browser.tab(context, `${d.base}/`);
  await login(page, user, PASSWORD);
  const impu = await registered(page);
  if (shots) await shots.take(page, `${user}_registered`);
  return { context, page, impu };
}

const IMPU_RE = /^sip:\+1555000000\d@block\.example$/;

// --- 4: 480 / 404 -------------------------------------------------------------------------------
async function unavailable(ctx, shots, deployOpts) {
  const d = await deploy(ctx, deployOpts);
  const a = await userTab(d, 'alice', shots);
  check(IMPU_RE.test(a.impu), `alice's IMPU ${a.impu}`);
  // An IMPU of the block that no one holds: the eI-CSCF's W4 check answers 480 (C-07).
  const free = a.impu === 'sip:+15550000007@block.example' ? '+15550000008' : '+15550000007';
  await dial(a.page, `sip:${free}@block.example`);
  await callState(a.page, /^idle$/);
  await a.page.getByTestId('call-status').filter({ hasText: /480 Temporarily Unavailable/ })
    .waitFor({ timeout: STEP_MS });
  await shots.take(a.page, 'call_free_impu_480');
  // A number outside the block the HSS does not know: LIR -> DIAMETER_ERROR_USER_UNKNOWN -> 404.
  await dial(a.page, 'sip:+4930123456@ims.example');
  await a.page.getByTestId('call-status').filter({ hasText: /404 Not Found/ })
    .waitFor({ timeout: STEP_MS });
  await callState(a.page, /^idle$/);
  await shots.take(a.page, 'call_unknown_404');
}

// --- 5: refusals ---------------------------------------------------------------------------------
function b64url(x) {
  return Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
}

/** Re-signs the WWSF's token `jwt` with `key` after `edit` changed its header and claims. */
function reSign(jwt, key, edit) {
  const [h, p] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  edit(header, claims);
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/** Every POST /api/token of `page` answers the WWSF's token after `mangle`. */
async function mangleTokens(page, mangle) {
  await page.route('**/api/token', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    if (res.ok()) body.token = mangle(body.token);
    await route.fulfill({ response: res, json: body });
  });
}

/** The eP-CSCF's WebSocket handshake answer for `origin` (the status code, from node). */
function wsHandshakeStatus(port, origin) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: '/', rejectUnauthorized: false,
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('wimpu-e2e-origin').toString('base64'),
        'Sec-WebSocket-Protocol': 'sip', Origin: origin,
      },
    });
    req.setTimeout(STEP_MS, () => req.destroy(new Error('handshake timeout')));
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
}

async function refusals(ctx, shots, deployOpts) {
  // The WWSF signs with a key made here, so the test can mint an expired token the eP-CSCF
  // would otherwise accept; a second key stands for an untrusted issuer.
  const { privateKey } = generateKeyPairSync('ed25519');
  const keyFile = join(ctx.work, 'wwsf-signing.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const wwsfKey = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const rogueKey = generateKeyPairSync('ed25519').privateKey;
  const d = await deploy(ctx, {
    ...deployOpts,
    userNames: ['alice', 'bob', 'carol', 'dave'], signingKey: keyFile,
    rangeFirst: '+15550000001', rangeLast: '+15550000002', retryAfter: 7, ownOriginOnly: true,
  });

  // Expired: signature and issuer fine, exp an hour ago -> 401 error="invalid_token".
  {
    const context = await d.browser.context();
    const page = await context.newPage();
    await mangleTokens(page, (t) => reSign(t, wwsfKey, (_h, c) => {
      const now = Math.floor(Date.now() / 1000);
      c.iat = now - 7200; c.nbf = now - 7200; c.exp = now - 3600;
    }));
    await page.goto(`${d.base}/`);
    await login(page, 'alice', PASSWORD);
    await page.getByTestId('reg-status').filter({ hasText: /^401 .*\(invalid_token\)$/ })
      .waitFor({ timeout: STEP_MS });
    await page.getByTestId('sip-error').filter({ hasText: /refused the token \(401 invalid_token\)/ })
      .waitFor({ timeout: STEP_MS });
    check((await page.getByTestId('impu').textContent()) === 'not registered', 'expired: IMPU shown');
    await shots.take(page, 'expired_token_401');
    await context.close();
  }
  // Untrusted issuer: a well-formed token from an issuer the eP-CSCF does not trust -> 401.
  {
    const context = await d.browser.context();
    const page = await context.newPage();
    await mangleTokens(page, (t) => reSign(t, rogueKey, (_h, c) => { c.iss = 'https://rogue.example'; }));
    await page.goto(`${d.base}/`);
    await login(page, 'alice', PASSWORD);
    await page.getByTestId('reg-status').filter({ hasText: /^401 .*\(invalid_token\)$/ })
      .waitFor({ timeout: STEP_MS });
    await page.getByTestId('sip-error').filter({ hasText: /refused the token/ }).waitFor({ timeout: STEP_MS });
    await shots.take(page, 'untrusted_issuer_401');
    await context.close();
  }
  // Foreign Origin: the same WWSF reached as https://localhost:<port> is another origin (RFC 6454),
  // not in ep_cscf.allowed_origins: the WebSocket handshake gets 403 (RFC 7118 §7).
  const wssPort = d.wimpud.ports['ep_cscf/wss'];
  const foreign = `https://localhost:${d.wwsfPort}`;
  check(await wsHandshakeStatus(wssPort, foreign) === 403, 'foreign Origin: handshake not 403');
  check(await wsHandshakeStatus(wssPort, d.base) === 101, 'own Origin: handshake not 101');
  {
    const context = await d.browser.context();
    const page = await d.browser.tab(context, `${foreign}/`);
    await login(page, 'alice', PASSWORD);
    await page.getByTestId('sip-state').filter({ hasText: 'reconnecting' }).waitFor({ timeout: STEP_MS });
    await page.getByTestId('sip-error').filter({ hasText: new RegExp(`refused the WebSocket \\(is Origin ${foreign} allowed\\?\\)`) })
      .waitFor({ timeout: STEP_MS });
    await shots.take(page, 'foreign_origin_403');
    await context.close();
  }
  check((await d.wimpud.bindings()).length === 0, 'a refused WIC holds a binding');
  // Exhausted pool: a block of two IMPUs, two users hold them, the third gets 503 + Retry-After.
  const b = await userTab(d, 'bob', shots);
  const c = await userTab(d, 'carol', shots);
  check(b.impu !== c.impu, `bob and carol share ${b.impu}`);
  const dave = await d.browser.context();
  const page = await d.browser.tab(dave, `${d.base}/`);
  await login(page, 'dave', PASSWORD);
  await page.getByTestId('reg-status').filter({ hasText: /^503 .*\(Retry-After: 7\)$/ })
    .waitFor({ timeout: STEP_MS });
  await page.getByTestId('sip-error').filter({ hasText: /no free IMPU in the pool \(503\); retrying in 7 s/ })
    .waitFor({ timeout: STEP_MS });
  await shots.take(page, 'pool_exhausted_503');
  const usage = await d.wimpud.block('b1');
  check(usage.free === 0 && usage.registered === 2, `block usage ${JSON.stringify(usage)}`);
}

// --- 6: bindings and quarantine -----------------------------------------------------------------
async function bindings(ctx, shots, deployOpts) {
  const QUARANTINE_S = 4;
  const d = await deploy(ctx, { ...deployOpts, quarantine: QUARANTINE_S });
  const a1 = await userTab(d, 'alice', shots);
  const tab2 = await d.browser.tab(a1.context, `${d.base}/`); // same session, second tab
  const impu2 = await registered(tab2);
  check(impu2 === a1.impu, `two tabs of alice: ${a1.impu} and ${impu2}`);
  await shots.take(tab2, 'alice_tab2_same_impu');
  const contacts = async () => {
    const b = (await d.wimpud.bindings()).find((x) => x.impu === a1.impu);
    return b ? b.contacts.length : 0;
  };
  check(await contacts() === 2, 'alice: not 2 contacts');
  // Closing a tab closes its WebSocket: RFC 5626 flow gone -> its contact goes now, not at expiry.
  await tab2.close();
  await until(async () => (await contacts()) === 1, 'the closed tab\'s contact to go', 3000);
  await shots.take(a1.page, 'alice_tab2_closed');
  await a1.page.close();
  await until(async () => (await d.wimpud.bindings()).every((x) => x.impu !== a1.impu || x.contacts.length === 0),
    'alice\'s last contact to go', 3000);
  const q = await d.wimpud.block('b1');
  check(q.quarantined === 1 && q.registered === 0, `after the last tab: ${JSON.stringify(q)}`);
  // Within the quarantine alice logs in again (new tab, same web session) and gets her IMPU back.
  const again = await d.browser.tab(a1.context, `${d.base}/`);
  const impu3 = await registered(again);
  check(impu3 === a1.impu, `alice again within the quarantine: ${impu3}, had ${a1.impu}`);
  await shots.take(again, 'alice_back_same_impu');
  // Bob meanwhile gets another one.
  const b = await userTab(d, 'bob', shots);
  check(b.impu !== a1.impu && IMPU_RE.test(b.impu), `bob: ${b.impu}`);
  // Alice's last tab closes: after the quarantine the IMPU is free again.
  await again.close();
  const closedAt = Date.now();
  await until(async () => (await d.wimpud.block('b1')).quarantined === 1, 'quarantine', 3000);
  const freed = await until(async () => {
    const u = await d.wimpud.block('b1');
    return u.quarantined === 0 && u.registered === 1 && u.free === u.size - 1 ? u : null;
  }, 'the IMPU back in the pool', (QUARANTINE_S + 10) * 1000);
  const held = (Date.now() - closedAt) / 1000;
  check(held >= QUARANTINE_S - 1, `freed after ${held} s, quarantine ${QUARANTINE_S} s`);
  console.log(`bindings: IMPU back in the pool ${held.toFixed(1)} s after the last tab closed (${JSON.stringify(freed)})`);
  await shots.take(b.page, 'bob_still_registered');
}

// --- 1: a call between two web users, media both ways ------------------------------------------
/** Inbound RTP bytes of the tab's call, from RTCPeerConnection.getStats(). */
async function inboundBytes(page) {
  const s = await page.evaluate(() => window.wic.mediaStats());
  return s ? s.inboundBytes : -1;
}

/** Inbound bytes must be > 0 and then grow: media flows into this tab. */
async function mediaFlowsInto(page, who) {
  const first = await until(async () => {
    const n = await inboundBytes(page);
    return n > 0 ? n : null;
  }, `${who}: first inbound RTP bytes`);
  const later = await until(async () => {
    const n = await inboundBytes(page);
    return n > first ? n : null;
  }, `${who}: inbound RTP bytes growing past ${first}`);
  return [first, later];
}

/** Every ICE candidate the peer signalled is a loopback one (BRIEF: 127.0.0.1 / ::1 only). */
async function loopbackOnly(page, who) {
  const sdp = await page.evaluate(() => window.wic.remoteSdp());
  check(sdp, `${who}: no remote SDP`);
  const cands = sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:'));
  check(cands.length > 0, `${who}: no candidates in the remote SDP`);
  const bad = cands.filter((l) => !/ (127\.0\.0\.1|::1) \d+ typ /.test(l));
  check(bad.length === 0, `${who}: non-loopback candidates ${bad.join(' | ')}`);
}

async function call(ctx, shots, deployOpts) {
  const d = await deploy(ctx, deployOpts);
  const a = await userTab(d, 'alice', shots);
  const b = await userTab(d, 'bob', shots);
  check(IMPU_RE.test(a.impu) && IMPU_RE.test(b.impu) && a.impu !== b.impu,
    `IMPUs alice ${a.impu}, bob ${b.impu}`);
  await dial(a.page, b.impu);
  // Bob sees alice's IMPU (the P-Asserted-Identity the eP-CSCF set), not her placeholder From.
  await callState(b.page, new RegExp(`^incoming ${a.impu.replace(/[+.]/g, '\\$&')}$`));
  await callState(a.page, /^ringing /);
  await shots.take(b.page, 'bob_rings');
  await shots.take(a.page, 'alice_hears_ringing');
  await b.page.getByTestId('answer-button').click();
  await callState(b.page, /^established /);
  await callState(a.page, /^established /);
  const [a0, a1] = await mediaFlowsInto(a.page, 'alice');
  const [b0, b1] = await mediaFlowsInto(b.page, 'bob');
  console.log(`call: inbound RTP bytes alice ${a0} -> ${a1}, bob ${b0} -> ${b1}`);
  await loopbackOnly(a.page, 'alice');
  await loopbackOnly(b.page, 'bob');
  await shots.take(a.page, 'alice_in_call');
  await shots.take(b.page, 'bob_in_call');
  await a.page.getByTestId('hangup-button').click();
  await callState(a.page, /^idle$/);
  await callState(b.page, /^idle$/);
  await b.page.getByTestId('call-status').filter({ hasText: /BYE from the peer/ }).waitFor({ timeout: STEP_MS });
  await shots.take(a.page, 'alice_idle');
  await shots.take(b.page, 'bob_idle');
}

// --- 2: forking to two tabs, CANCEL with Reason to the one that did not answer -----------------
async function fork(ctx, shots, deployOpts) {
  const d = await deploy(ctx, deployOpts);
  const a = await userTab(d, 'alice', shots);
  const b1 = await userTab(d, 'bob', shots);
  const b2page = await d.browser.tab(b1.context, `${d.base}/`);
  const b2impu = await registered(b2page);
  check(b2impu === b1.impu, `bob's tabs: ${b1.impu} and ${b2impu}`);
  await shots.take(b2page, 'bob_tab2_registered');
  await dial(a.page, b1.impu);
  await callState(b1.page, /^incoming /);
  await callState(b2page, /^incoming /);
  await shots.take(b1.page, 'bob_tab1_rings');
  await shots.take(b2page, 'bob_tab2_rings');
  await b1.page.getByTestId('answer-button').click();
  await callState(b1.page, /^established /);
  await callState(a.page, /^established /);
  // The other branch is CANCELled with RFC 3326 Reason cause=200 (RFC 3261 §16.7 step 10).
  await callState(b2page, /^idle$/);
  await b2page.getByTestId('call-status').filter({ hasText: /CANCEL \(Reason: SIP ?;\s*cause=200/ })
    .waitFor({ timeout: STEP_MS });
  check(await b2page.getByTestId('incoming').isHidden(), 'tab 2 still shows the incoming call');
  await shots.take(b2page, 'bob_tab2_cancelled');
  await mediaFlowsInto(a.page, 'alice');
  await mediaFlowsInto(b1.page, 'bob tab 1');
  await shots.take(b1.page, 'bob_tab1_in_call');
  await a.page.getByTestId('hangup-button').click();
  await callState(b1.page, /^idle$/);
  await callState(a.page, /^idle$/);
}

// --- 3: an IMS UE (SIPp, SIP Digest at the S-CSCF) and a WIC call each other ------------------
/** One SIPp run as the IMS UE `alice@ims.example` from `port`; resolves when it exits 0. */
function sipp(ctx, name, scenarioFile, port, mediaPort, remote, keys, extra = []) {
  const argv = ['sipp', '-sf', resolve(arg('sipp-scenarios'), scenarioFile), '-i', '127.0.0.1',
    '-p', String(port), '-mp', String(mediaPort), '-m', '1', '-nostdin', '-timeout', '30s',
    '-timeout_error', '-trace_err'];
  for (const [k, v] of Object.entries({ ...keys, mport: String(mediaPort) })) argv.push('-key', k, v);
  argv.push(...extra);
  if (remote) argv.push(remote);
  const p = ctx.track(new Proc(name, argv, ctx.work));
  return p;
}

/**
 * True once a socket is bound to UDP 127.0.0.1:`port` (SIPp's), read from /proc/net/udp: a probe
 * by bind() would race with SIPp's own bind.
 */
function udpBound(port) {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === want);
}

async function sippDone(p) {
  const r = await p.exited;
  check(r.code === 0, `${p.name} (SIPp) exited with ${r.code ?? r.sig}: ${p.log.slice(-5).join(' | ')}`);
}

async function imsUe(ctx, shots, deployOpts) {
  const d = await deploy(ctx, deployOpts);
  const w = await userTab(d, 'alice', shots);
  const uePort = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const icscf = `127.0.0.1:${d.icscfPort}`;
  const scscf = `127.0.0.1:${d.core.scscfPort}`;
  // The UE registers through the eI-CSCF (UAR) at the S-CSCF: 401 Digest, then 200 (MAR, SAR).
  await sippDone(sipp(ctx, 'ue_register', 'ims_register.xml', uePort, mediaPort, icscf,
    { user: 'alice', domain: 'ims.example' }, ['-au', 'alice@ims.example', '-ap', 'alice-secret']));
  // UE -> WIC: S-CSCF (orig) -> eI-CSCF (W4 check, LIR) -> S-CSCF (term) -> eP-CSCF -> WIC.
  const hss = d.hss ?? d.wimpud;
  const lirBefore = await hss.metric('wimpu_hss_lia_0_2001_total');
  const uac = sipp(ctx, 'ue_calls_wic', 'e2e_uac_call_wic.xml', uePort, mediaPort, scscf,
    { user: 'alice', domain: 'ims.example', callee: w.impu.replace(/^sip:/, ''), scscf });
  await callState(w.page, /^incoming sip:alice@ims\.example$/, 20000);
  await shots.take(w.page, 'wic_rings_ue_calling');
  // SIPp hangs up 0.5 s after its ACK: a poll of the state could miss 'established'.
  await recordStates(w.page, 'call-state');
  await w.page.getByTestId('answer-button').click();
  await seenState(w.page, 'call-state', /^established /);
  await shots.take(w.page, 'wic_answered_ue');
  await sippDone(uac); // the UE got 180 and 200, ACKed and hung up
  await callState(w.page, /^idle$/);
  await w.page.getByTestId('call-status').filter({ hasText: /BYE from the peer/ }).waitFor({ timeout: STEP_MS });
  await shots.take(w.page, 'wic_idle_after_ue_bye');
  const lirAfter = await hss.metric('wimpu_hss_lia_0_2001_total');
  check(lirAfter > lirBefore, `no successful LIR for the call to the WIC (${lirBefore} -> ${lirAfter})`);
  // WIC -> UE: eP-CSCF -> S-CSCF (orig) -> eI-CSCF (LIR) -> S-CSCF (term) -> the UE's contact.
  const uas = sipp(ctx, 'ue_answers_wic', 'e2e_uas_webrtc.xml', uePort, mediaPort, null, {});
  await until(() => udpBound(uePort), 'SIPp (UAS) bound to its port');
  await dial(w.page, 'sip:alice@ims.example');
  await callState(w.page, /^established sip:alice@ims\.example$/, 20000);
  await shots.take(w.page, 'wic_called_ue_established');
  await w.page.getByTestId('hangup-button').click();
  await callState(w.page, /^idle$/);
  await sippDone(uas); // the UE saw P-Called-Party-ID and the WIC's asserted IMPU, ACK and BYE
  await shots.take(w.page, 'wic_idle_after_hangup');
}

// --- 7: the eP-CSCF restarts; the WICs reconnect and re-register by themselves ------------------
async function restart(ctx, shots, deployOpts) {
  // While its block registration is pending after a restart, the eP-CSCF answers WICs 503 with
  // Retry-After = [ep_cscf.registration] retry_after (60 s in examples/split): shortened to 2 s
  // (scripts/split --set, kept by its restart), like the back-off base below.
  const d = await deploy(ctx, { ...deployOpts, retryAfter: 2 });
  check(ctx.splitRestart, 'restart needs --split');
  const tabs = [];
  for (const user of ['alice', 'bob']) {
    const context = await d.browser.context();
    const page = await context.newPage();
    page.on('pageerror', (e) => d.browser.errors.push(`page error: ${e.message}`));
    // RFC 5626 §4.5 back-off with a 1 s base (the deployment's is 30 s): same formula, shorter.
    await page.route('**/wic-config.json', async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), backoff_base_all_failed: 1 } });
    });
    await page.goto(`${d.base}/`);
    await login(page, user, PASSWORD);
    const impu = await registered(page);
    await shots.take(page, `${user}_registered`);
    await recordStates(page, 'sip-state'); // every state the tab goes through
    tabs.push({ user, page, impu });
  }
  check(tabs[0].impu !== tabs[1].impu, `alice and bob share ${tabs[0].impu}`);
  await ctx.splitRestart('ep-cscf');
  for (const t of tabs) {
    await seenState(t.page, 'sip-state', /^reconnecting$/, 20000); // the WIC noticed the closed flow
    const impu = await registered(t.page, 30000);
    check(impu === t.impu, `${t.user}: IMPU ${impu} after the restart, had ${t.impu}`);
    const seen = await seenStates(t.page, 'sip-state');
    console.log(`restart: ${t.user} went through ${seen.join(' -> ')}`);
    await shots.take(t.page, `${t.user}_reregistered_same_impu`);
  }
  // The re-registered flows carry calls again: alice calls bob.
  const [a, b] = tabs;
  await dial(a.page, b.impu);
  await callState(b.page, /^incoming /);
  await b.page.getByTestId('answer-button').click();
  await callState(a.page, /^established /);
  await mediaFlowsInto(a.page, 'alice');
  await shots.take(a.page, 'alice_calls_bob_after_restart');
  await a.page.getByTestId('hangup-button').click();
  await callState(b.page, /^idle$/);
}

const scenarios = { restart, unavailable, refusals, bindings, call, fork, ims_ue: imsUe };
check(scenarios[scenario], `unknown scenario ${scenario}`);
// --scscf-process: the S-CSCF as its own process (wimpu-s-cscf, Cx over Diameter to wimpud's
// HSS) instead of wimpud's in-process [s_cscf].
const own = process.argv.includes('--scscf-process');
const prefix = process.argv.includes('--split') ? 'split_' : '';
const name = own ? `scscf_process_${scenario}` : `${prefix}${scenario}`;
await runScenario(name, async (ctx) => {
  const shots = new Shots(join(arg('artifacts'), name));
  await scenarios[scenario](ctx, shots, own ? { scscfProcess: true } : {});
});
