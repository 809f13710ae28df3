// End-to-end scenarios of issue 7 against the all-in-one wimpud (WWSF, eP-CSCF, eI-CSCF, HSS and
// the memory registrar in one process), driven through the WIC in headless Chromium.
//
// usage: node allinone.mjs --scenario NAME --wimpud BIN --wimpuctl BIN --static-root DIR
//                          --artifacts DIR
//   unavailable  (4) a block IMPU nobody holds -> 480; an unknown number -> 404
//   refusals     (5) expired token, untrusted issuer -> 401 invalid_token; foreign Origin -> 403;
//                    exhausted pool -> 503 + Retry-After; the WIC says why each time
//   bindings     (6) a closed tab's binding goes at once; the IMPU is quarantined, handed back to
//                    the same user within the quarantine, and free again after it
import { createSocket } from 'node:dgram';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import {
  addUsers, allInOneConfig, arg, Browser, callState, check, dial, freePort, freeUdpPort, login,
  Proc, registered, runScenario, scscfConfig, Shots, STEP_MS, subscribers, until, Wimpud,
} from './lib.mjs';

const scenario = arg('scenario');
const PASSWORD = 'e2e-password';

/** Writes the users, the subscribers and the config; starts wimpud; opens the browser. */
async function deploy(ctx, opts = {}) {
  const wwsfPort = await freePort();
  const users = join(ctx.work, 'users.json');
  await addUsers(arg('wimpuctl'), users, (opts.userNames ?? ['alice', 'bob']).map((u) => [u, PASSWORD]), 'b1');
  const subs = join(ctx.work, 'subscribers.toml');
  const core = opts.core ? {
    scscfPort: await freeUdpPort(), epUdpPort: await freeUdpPort(), diameterPort: await freePort(),
  } : null;
  const icscfPort = await freeUdpPort();
  writeFileSync(subs, subscribers(core ? core.scscfPort : 5070));
  const stateDir = join(ctx.work, 'state');
  const config = allInOneConfig({
    wwsfPort, icscfPort, users, subscribers: subs, stateDir, staticRoot: resolve(arg('static-root')),
    ...opts, core, scscfPort: core?.scscfPort, epUdpPort: core?.epUdpPort,
    // The block's own IMPU (+15550000000) stays out of the WIC range when it is registered.
    rangeFirst: opts.rangeFirst ?? (core ? '+15550000001' : undefined),
  });
  const wimpud = await Wimpud.start(arg('wimpud'), ctx.work, config);
  ctx.track(wimpud.proc);
  let scscf = null;
  if (core) {
    const cfg = join(ctx.work, 'scscf.toml');
    writeFileSync(cfg, scscfConfig({ ...core, icscfPort, stateDir }));
    scscf = ctx.track(new Proc('scscf', [arg('scscf'), '--config', cfg], ctx.work));
    await scscf.waitLine(/^listening udp /);
    // Block registration (trigger startup): eP-CSCF -> eI-CSCF (UAR) -> S-CSCF (SAR over
    // Diameter); retried every <= 1 s until the S-CSCF and its Cx link are up.
    try {
      await until(async () => (await wimpud.metric('wimpu_ep_cscf_block_registration_ok_total')) >= 1,
        'the block registration at the S-CSCF', 30000);
    } catch (e) {
      const m = await (await fetch(`http://127.0.0.1:${wimpud.ports['admin/http']}/metrics`)).text();
      console.error(m.split('\n').filter((l) => /block_reg|ei_cscf|hss|diameter|cx/.test(l) && !l.startsWith('#')).join('\n'));
      throw e;
    }
  }
  const browser = await Browser.launch(ctx.work);
  ctx.onCleanup(async () => {
    if (ctx.failed) await browser.shootAll(ctx.artifacts);
    await browser.close();
    check(browser.errors.length === 0, browser.errors.join('; '));
  });
  return { wimpud, scscf, core, icscfPort, browser, base: `https://127.0.0.1:${wwsfPort}`, wwsfPort };
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
    rangeFirst: '+15550000000', rangeLast: '+15550000001', retryAfter: 7,
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
/** One SIPp run as the UE `ue@ims.example` from `port`; resolves when it exits 0. */
function sipp(ctx, name, scenarioFile, port, mediaPort, remote, keys, extra = []) {
  const argv = ['sipp', '-sf', join(arg('sipp-scenarios'), scenarioFile), '-i', '127.0.0.1',
    '-p', String(port), '-mp', String(mediaPort), '-m', '1', '-nostdin', '-timeout', '30s',
    '-timeout_error', '-trace_err'];
  for (const [k, v] of Object.entries({ ...keys, mport: String(mediaPort) })) argv.push('-key', k, v);
  argv.push(...extra);
  if (remote) argv.push(remote);
  const p = ctx.track(new Proc(name, argv, ctx.work));
  return p;
}

/** True once someone (SIPp) holds UDP 127.0.0.1:`port`: our bind fails with EADDRINUSE. */
function udpBound(port) {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

async function sippDone(p) {
  const r = await p.exited;
  check(r.code === 0, `${p.name} (SIPp) exited with ${r.code ?? r.sig}: ${p.log.slice(-5).join(' | ')}`);
}

async function imsUe(ctx, shots, deployOpts) {
  check(deployOpts.core, 'ims_ue needs --core');
  const d = await deploy(ctx, deployOpts);
  const w = await userTab(d, 'alice', shots);
  const uePort = await freeUdpPort();
  const mediaPort = await freeUdpPort();
  const icscf = `127.0.0.1:${d.icscfPort}`;
  const scscf = `127.0.0.1:${d.core.scscfPort}`;
  // The UE registers through the eI-CSCF (UAR) at the S-CSCF: 401 Digest, then 200 (MAR, SAR).
  await sippDone(sipp(ctx, 'ue_register', 'ims_register.xml', uePort, mediaPort, icscf,
    { user: 'ue', domain: 'ims.example' }, ['-au', 'ue@ims.example', '-ap', 'ue-secret']));
  // UE -> WIC: S-CSCF (orig) -> eI-CSCF (W4 check, LIR) -> S-CSCF (term) -> eP-CSCF -> WIC.
  const lirBefore = await d.wimpud.metric('wimpu_hss_lia_0_2001_total');
  const uac = sipp(ctx, 'ue_calls_wic', 'e2e_uac_call_wic.xml', uePort, mediaPort, scscf,
    { user: 'ue', domain: 'ims.example', callee: w.impu.replace(/^sip:/, ''), scscf });
  await callState(w.page, /^incoming sip:ue@ims\.example$/, 20000);
  await shots.take(w.page, 'wic_rings_ue_calling');
  await w.page.getByTestId('answer-button').click();
  await callState(w.page, /^established /);
  await shots.take(w.page, 'wic_answered_ue');
  await sippDone(uac); // the UE got 180 and 200, ACKed and hung up
  await callState(w.page, /^idle$/);
  await w.page.getByTestId('call-status').filter({ hasText: /BYE from the peer/ }).waitFor({ timeout: STEP_MS });
  await shots.take(w.page, 'wic_idle_after_ue_bye');
  const lirAfter = await d.wimpud.metric('wimpu_hss_lia_0_2001_total');
  check(lirAfter > lirBefore, `no successful LIR for the call to the WIC (${lirBefore} -> ${lirAfter})`);
  // WIC -> UE: eP-CSCF -> S-CSCF (orig) -> eI-CSCF (LIR) -> S-CSCF (term) -> the UE's contact.
  const uas = sipp(ctx, 'ue_answers_wic', 'e2e_uas_webrtc.xml', uePort, mediaPort, null, {});
  await until(() => udpBound(uePort), 'SIPp (UAS) bound to its port');
  await dial(w.page, 'sip:ue@ims.example');
  await callState(w.page, /^established sip:ue@ims\.example$/, 20000);
  await shots.take(w.page, 'wic_called_ue_established');
  await w.page.getByTestId('hangup-button').click();
  await callState(w.page, /^idle$/);
  await sippDone(uas); // the UE saw P-Called-Party-ID and the WIC's asserted IMPU, ACK and BYE
  await shots.take(w.page, 'wic_idle_after_hangup');
}

const scenarios = { unavailable, refusals, bindings, call, fork, ims_ue: imsUe };
check(scenarios[scenario], `unknown scenario ${scenario}`);
// --core: the S-CSCF joins as its own process (Cx over Diameter to wimpud's HSS).
const withCore = process.argv.includes('--core');
const name = withCore ? `core_${scenario}` : scenario;
await runScenario(name, async (ctx) => {
  const shots = new Shots(join(arg('artifacts'), name));
  await scenarios[scenario](ctx, shots, withCore ? { core: true } : {});
});
