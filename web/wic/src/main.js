// The WIC page: log in at the WWSF, hold a token, register at the eP-CSCF, make and take calls.
import { ApiError, WwsfApi } from './api.js';
import { SipClient } from './sip_client.js';

const $ = (id) => document.getElementById(id);
const api = new WwsfApi();
// One +sip.instance per tab (page load): several tabs of one user are distinct contacts.
const instanceId = crypto.randomUUID();
let sip = null;

function show(loggedIn) {
  $('login-section').hidden = loggedIn;
  $('session-section').hidden = !loggedIn;
}

function setTokenState(text, held) {
  $('token-state').textContent = text;
  $('token-state').classList.toggle('held', held);
}

async function freshToken() {
  try {
    const t = await api.token();
    const until = new Date(t.expires_at * 1000).toLocaleTimeString();
    setTokenState(`token held (valid until ${until})`, true);
    return t.token;
  } catch (e) {
    setTokenState(e instanceof ApiError && e.status === 401 ? 'session ended' : 'no token', false);
    if (e instanceof ApiError && e.status === 401) loggedOut('Your session ended; log in again.');
    throw e;
  }
}

async function loggedIn(me) {
  show(true);
  $('user-name').textContent = me.username;
  $('user-block').textContent = me.block;
  $('instance-id').textContent = instanceId;
  $('login-error').textContent = '';
  try {
    await freshToken();
  } catch (e) {
    $('sip-error').textContent = `Cannot get a token: ${e.message}`;
    return;
  }
  const config = await api.wicConfig();
  sip = new SipClient(config, freshToken, instanceId);
  sip.addEventListener('state', (e) => {
    $('sip-state').textContent = e.detail.state;
    const bad = ['refused', 'reconnecting', 'error'].includes(e.detail.state);
    $('sip-error').textContent = bad ? e.detail.message : '';
  });
  sip.addEventListener('regstatus', (e) => { $('reg-status').textContent = e.detail.text; });
  sip.addEventListener('impu', (e) => { $('impu').textContent = e.detail.impu || 'unknown'; });
  sip.addEventListener('call', (e) => onCall(e.detail));
  sip.addEventListener('remotemedia', (e) => { $('remote-video').srcObject = e.detail.stream; });
  sip.addEventListener('localmedia', (e) => { $('local-video').srcObject = e.detail.stream; });
  sip.start();
}

function loggedOut(message = '') {
  if (sip) sip.stop();
  sip = null;
  show(false);
  setTokenState('none', false);
  $('impu').textContent = 'not registered';
  $('sip-state').textContent = 'idle';
  $('login-error').textContent = message;
}

function onCall({ phase, peer, cause, status }) {
  // Back to idle when a call ends; what ended it stays in call-status.
  $('call-state').textContent = phase === 'ended' ? 'idle' : `${phase} ${peer}`;
  if (phase === 'ended') {
    $('call-status').textContent = `last call with ${peer}: ${cause}${status ? `, ${status}` : ''}`;
    stopMediaStats();
  } else if (phase === 'established') {
    startMediaStats();
  }
  $('incoming').hidden = phase !== 'incoming';
  $('incoming-from').textContent = peer;
  $('hangup-button').disabled = phase === 'ended';
  $('call-button').disabled = phase !== 'ended';
  if (phase === 'ended') {
    $('remote-video').srcObject = null;
    $('local-video').srcObject = null;
  }
}

// Media counters on the page while a call is up (and for tests: window.wic.mediaStats()).
let statsTimer = null;
function startMediaStats() {
  stopMediaStats();
  statsTimer = setInterval(async () => {
    const s = sip && (await sip.mediaStats());
    if (s) $('media-stats').textContent = `in ${s.inboundBytes} B, out ${s.outboundBytes} B`;
  }, 1000);
}
function stopMediaStats() {
  clearInterval(statsTimer);
  statsTimer = null;
}
// Test and debugging hook: read-only views of the tab's SIP side.
window.wic = {
  mediaStats: async () => (sip ? sip.mediaStats() : null),
  remoteSdp: () => sip?.session?.connection?.remoteDescription?.sdp ?? null,
  localSdp: () => sip?.session?.connection?.localDescription?.sdp ?? null,
};

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-button').disabled = true;
  try {
    const me = await api.login($('username').value, $('password').value);
    $('password').value = '';
    await loggedIn(me);
  } catch (e) {
    if (e instanceof ApiError && e.status === 429) {
      $('login-error').textContent = `Too many failed logins; try again in ${e.retryAfter ?? '?'} s.`;
    } else if (e instanceof ApiError && e.status === 401) {
      $('login-error').textContent = 'Wrong user name or password.';
    } else {
      $('login-error').textContent = `Login failed: ${e.message}`;
    }
  } finally {
    $('login-button').disabled = false;
  }
});

$('logout-button').addEventListener('click', async () => {
  try {
    await api.logout();
  } finally {
    loggedOut();
  }
});

for (const key of document.querySelectorAll('.keys button')) {
  key.addEventListener('click', () => { $('dial-target').value += key.dataset.key; });
}
$('call-button').addEventListener('click', () => sip && sip.call($('dial-target').value.trim()));
$('hangup-button').addEventListener('click', () => sip && sip.hangup());
$('answer-button').addEventListener('click', () => sip && sip.answer());
$('reject-button').addEventListener('click', () => sip && sip.reject());

// A tab opened while the session is alive starts logged in (several tabs, one web user).
api.me().then((me) => (me ? loggedIn(me) : show(false))).catch(() => show(false));
