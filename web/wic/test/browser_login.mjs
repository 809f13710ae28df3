// Browser test: Debian's Chromium, driven by playwright-core, logs in at a WWSF started here on a
// free loopback port; the page must show that it holds a token. Two tabs of the same user get
// distinct +sip.instance ids, and with no eP-CSCF listening the WIC reports the failed WebSocket
// and its RFC 5626 back-off. Screenshots go to --artifacts. Any failure (Chromium included)
// exits non-zero: this test never skips.
//
// usage: node browser_login.mjs --wwsf BIN --wimpuctl BIN --static-root DIR --artifacts DIR
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { arg, freePort } from '../../../tests/e2e/lib.mjs';

function fail(message) {
  console.error(`browser_login: FAIL: ${message}`);
  process.exitCode = 1;
}

function startWwsf(bin, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('wwsf did not report its port in 20 s')), 20000);
    child.once('exit', (code) => reject(new Error(`wwsf exited early with ${code}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /wwsf listening on (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

const work = mkdtempSync(join(tmpdir(), 'wimpu-browser-'));
const artifacts = arg('artifacts');
mkdirSync(artifacts, { recursive: true });
let wwsf = null;
let context = null;
try {
  // Test certificate and user, made now.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem'), '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
  { stdio: 'ignore' });
  const users = join(work, 'users.json');
  execFileSync(arg('wimpuctl'), ['user', '--store', users, 'add', 'alice', '--block',
    'blk.example', '--password-stdin'], { input: 'alice-pw\n' });

  const deadPort = await freePort();  // nobody listens there
  ({ child: wwsf } = { child: null });
  const started = await startWwsf(arg('wwsf'), [
    '--port', '0', '--cert', join(work, 'cert.pem'), '--key', join(work, 'key.pem'),
    '--users', users, '--static-root', arg('static-root'), '--issuer', 'https://wwsf.test',
    '--audience', 'epcscf.test', '--block', 'default.example',
    '--ws-url', `wss://127.0.0.1:${deadPort}`, '--sip-domain', 'epcscf.test',
    '--backoff-base', '1']);
  wwsf = started.child;
  const base = `https://127.0.0.1:${started.port}`;

  // Debian's Chromium, headless, fresh profile. launchPersistentContext throws if it cannot start.
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    ignoreHTTPSErrors: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--ignore-certificate-errors', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream'],
    timeout: 60000,
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));
  await page.goto(`${base}/`, { waitUntil: 'load' });

  // Wrong password first: a clear message, no session.
  await page.getByTestId('username').fill('alice');
  await page.getByTestId('password').fill('wrong');
  await page.getByTestId('login-button').click();
  await page.getByTestId('login-error').filter({ hasText: 'Wrong user name or password' })
    .waitFor({ timeout: 10000 });

  await page.getByTestId('password').fill('alice-pw');
  await page.getByTestId('login-button').click();
  await page.getByTestId('token-state').filter({ hasText: 'token held' }).waitFor({ timeout: 10000 });
  const user = await page.getByTestId('user-name').textContent();
  if (user !== 'alice') fail(`user name shown is "${user}"`);
  const block = await page.getByTestId('user-block').textContent();
  if (block !== 'blk.example') fail(`block shown is "${block}"`);

  // The session cookie is HttpOnly + Secure + SameSite=Strict as the browser stored it.
  const cookies = await context.cookies(base);
  const sid = cookies.find((c) => c.name === '__Host-wimpu_sid');
  if (!sid) fail('no session cookie');
  else if (!sid.httpOnly || !sid.secure || sid.sameSite !== 'Strict') {
    fail(`cookie flags ${JSON.stringify(sid)}`);
  }
  if (await page.evaluate(() => document.cookie.includes('wimpu_sid'))) fail('cookie visible to JS');

  // No eP-CSCF listens: the WIC says so and backs off (base 1 s here).
  await page.getByTestId('sip-state').filter({ hasText: 'reconnecting' }).waitFor({ timeout: 15000 });
  const sipError = await page.getByTestId('sip-error').textContent();
  if (!/refused the WebSocket|closed/.test(sipError)) fail(`sip error text "${sipError}"`);
  await page.screenshot({ path: join(artifacts, 'wic_logged_in.png'), fullPage: true });

  // A second tab of the same user: logged in through the session, its own instance id.
  const tab2 = await context.newPage();
  await tab2.goto(`${base}/`, { waitUntil: 'load' });
  await tab2.getByTestId('token-state').filter({ hasText: 'token held' }).waitFor({ timeout: 10000 });
  const id1 = await page.getByTestId('instance-id').textContent();
  const id2 = await tab2.getByTestId('instance-id').textContent();
  if (!id1 || !id2 || id1 === id2) fail(`instance ids "${id1}" and "${id2}"`);

  // Logout ends the session for every tab.
  await page.getByTestId('logout-button').click();
  await page.getByTestId('login-section').waitFor({ state: 'visible', timeout: 10000 });
  await tab2.reload({ waitUntil: 'load' });
  await tab2.getByTestId('login-section').waitFor({ state: 'visible', timeout: 10000 });
  await page.screenshot({ path: join(artifacts, 'wic_logged_out.png'), fullPage: true });
  if (process.exitCode !== 1) console.log('browser_login: 1 passed, 0 failed');
} catch (e) {
  fail(e.stack || String(e));
} finally {
  if (context) await context.close().catch(() => {});
  if (wwsf) wwsf.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
