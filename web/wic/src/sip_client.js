// The WIC's SIP side on JsSIP: one UA per tab over WSS (RFC 7118), REGISTER with a fresh
// `Authorization: Bearer <token>` every time (RFC 8898 §2.1.3, requirements T-01/T-07), the IMPU
// from the first P-Associated-URI (G-02/G-03), calls with WebRTC audio/video, and our own
// RFC 5626 §4.5 reconnect back-off instead of JsSIP's.
//
// Why JsSIP: its Registrator takes new extra headers before each REGISTER
// (registrator().setExtraHeaders) and hands the refresh to the application when someone listens
// to 'registrationExpiring', so every re-REGISTER carries a token fetched just before it. SIP.js's
// Registerer refreshes on its own timer, reusing the headers of the first REGISTER.
import * as JsSIP from 'jssip';

import { flowRecoveryDelay } from './backoff.js';
import { bearerError, firstAssociatedUri, retryAfterSeconds } from './sip_headers.js';

export class SipClient extends EventTarget {
  /**
   * @param {object} config /wic-config.json
   * @param {() => Promise<string>} getToken fetches a fresh token from the WWSF
   * @param {string} instanceId this tab's +sip.instance UUID (RFC 5626 §4.1)
   */
  constructor(config, getToken, instanceId) {
    super();
    this.config = config;
    this.getToken = getToken;
    this.instanceId = instanceId;
    this.ua = null;
    this.session = null;
    this.failures = 0;
    this.flowUp = false; // a flow registered on and not failed since
    this.retryTimer = null;
    this.stopped = true;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #state(state, message = '') {
    this.#emit('state', { state, message });
  }

  start() {
    if (!this.config.ws_urls || this.config.ws_urls.length === 0) {
      this.#state('error', 'no eP-CSCF WebSocket URL configured');
      return;
    }
    this.stopped = false;
    this.#connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.ua) {
      const ua = this.ua;
      this.ua = null;
      ua.stop();
    }
    this.#state('stopped');
  }

  #connect() {
    const c = this.config;
    const sockets = c.ws_urls.map((url) => new JsSIP.WebSocketInterface(url));
    const ua = new JsSIP.UA({
      sockets,
      // Placeholder AOR: the WIC does not know its IMPU before the eP-CSCF allocates one (G-02).
      uri: `sip:${c.placeholder_user || 'wic'}@${c.sip_domain}`,
      register: false, // We register ourselves, with a fresh token each time.
      register_expires: c.register_expires || 600,
      instance_id: this.instanceId,
      session_timers: false,
      user_agent: 'wimpu-wic',
    });
    this.ua = ua;
    ua.on('connecting', () => this.#state('connecting', `connecting to ${c.ws_urls.join(', ')}`));
    ua.on('connected', () => {
      this.#state('connected', 'WebSocket open, registering');
      this.#register(ua);
    });
    ua.on('disconnected', (e) => this.#onDisconnected(ua, e));
    // Listening here makes JsSIP leave every refresh to us (see the header comment).
    ua.on('registrationExpiring', () => this.#register(ua));
    ua.on('registered', (e) => this.#onRegistered(e));
    ua.on('registrationFailed', (e) => this.#onRegistrationFailed(ua, e));
    ua.on('newRTCSession', (e) => this.#onNewSession(e));
    ua.start();
  }

  async #register(ua) {
    let token;
    try {
      token = await this.getToken();
    } catch (e) {
      this.#state('error', `cannot get a token from the WWSF: ${e.message}`);
      this.#emit('token', { ok: false });
      return;
    }
    if (ua !== this.ua) return; // Stopped or replaced while the token was on its way.
    this.#emit('token', { ok: true });
    ua.registrator().setExtraHeaders([`Authorization: Bearer ${token}`]);
    ua.register();
  }

  #regStatus(res, extra = '') {
    this.#emit('regstatus', { text: res ? `${res.status_code} ${res.reason_phrase}${extra}` : extra });
  }

  #onRegistered(e) {
    this.failures = 0;
    this.flowUp = true;
    this.#regStatus(e.response);
    const impu = firstAssociatedUri(e.response.getHeader('P-Associated-URI'));
    this.#emit('impu', { impu });
    this.#state('registered', impu ? `registered as ${impu}` : 'registered (no P-Associated-URI)');
  }

  #onRegistrationFailed(ua, e) {
    const res = e.response;
    const code = res ? res.status_code : 0;
    if (code === 401) {
      const err = bearerError(res.getHeader('WWW-Authenticate'));
      this.#regStatus(res, err ? ` (${err})` : '');
      this.#state('refused', err === 'invalid_token'
        ? 'the eP-CSCF refused the token (401 invalid_token); log in again'
        : `registration refused: 401 ${res.reason_phrase}`);
      return; // A fresh login gives a fresh token; retrying the same user blindly won't help.
    }
    if (code === 503) {
      const after = retryAfterSeconds(res.getHeader('Retry-After'));
      this.#regStatus(res, after === null ? '' : ` (Retry-After: ${after})`);
      const wait = after ?? flowRecoveryDelay(++this.failures, this.#backoff(true));
      // The eP-CSCF says 503 when the pool is exhausted (G-14) and, with this reason phrase,
      // while its block is not registered with the IMS core (start-up, core down).
      const why = /block not registered/i.test(res.reason_phrase)
        ? 'the eP-CSCF is not connected to the IMS core yet (503 Block Not Registered)'
        : 'no free IMPU in the pool (503)';
      this.#state('refused', `${why}; retrying in ${Math.round(wait)} s`);
      this.#schedule(() => this.#register(ua), wait);
      return;
    }
    this.#regStatus(res, res ? '' : String(e.cause));
    this.#state('refused', `registration failed: ${code ? `${code} ${res.reason_phrase}` : e.cause}`);
  }

  #onDisconnected(ua, e) {
    if (ua !== this.ua || this.stopped) return;
    // Take recovery away from JsSIP (its own timer is not RFC 5626 §4.5) and redo it ourselves.
    this.ua = null;
    ua.stop();
    if (this.flowUp) {
      // RFC 5626 §4.5: a flow that worked and failed is replaced at once; only failed attempts
      // to form the new one wait (failures counts those, reset by a successful REGISTER).
      this.flowUp = false;
      this.#state('reconnecting', 'the WebSocket closed; reconnecting now');
      this.#schedule(() => this.#connect(), 0);
      return;
    }
    this.failures += 1;
    const wait = flowRecoveryDelay(this.failures, this.#backoff(true));
    const why = e && e.error
      // A browser does not expose the handshake's status (RFC 7118 §7 says 403 for an Origin
      // not allowed), so name the origin the eP-CSCF saw.
      ? `the eP-CSCF refused the WebSocket (is Origin ${globalThis.location?.origin} allowed?) or is unreachable`
      : 'the WebSocket closed';
    this.#state('reconnecting', `${why}; reconnecting in ${Math.round(wait)} s`);
    this.#emit('backoff', { seconds: wait, failures: this.failures });
    this.#schedule(() => this.#connect(), wait);
  }

  #backoff(allFailed) {
    const c = this.config;
    return {
      allFailed, // One flow per tab: when it is down, all flows failed.
      baseAllFailed: c.backoff_base_all_failed,
      baseSomeFailed: c.backoff_base_some_failed,
      cap: c.backoff_cap,
    };
  }

  #schedule(fn, seconds) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) fn();
    }, seconds * 1000);
  }

  // --- calls ---

  #mediaOptions() {
    const iceServers = (this.config.ice_servers || []).map((u) => ({ urls: u }));
    return {
      mediaConstraints: { audio: true, video: true },
      pcConfig: { iceServers },
    };
  }

  /** Calls `target` (an IMPU: sip:... or tel:..., or a bare number in our domain). */
  call(target) {
    if (!this.ua || this.session) return;
    const uri = /^(sip|sips|tel):/i.test(target) ? target : `sip:${target}@${this.config.sip_domain}`;
    this.ua.call(uri, this.#mediaOptions());
  }

  answer() {
    if (this.session && this.session.direction === 'incoming') {
      this.session.answer(this.#mediaOptions());
    }
  }

  reject() {
    if (this.session && !this.session.isEstablished()) {
      this.session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
    }
  }

  hangup() {
    if (this.session) this.session.terminate();
  }

  #onNewSession(e) {
    const session = e.session;
    if (this.session) {
      // One call per tab: a second incoming call gets 486 (RFC 3261 §21.4.24).
      if (e.originator === 'remote') session.terminate({ status_code: 486 });
      return;
    }
    this.session = session;
    // The caller's From is its placeholder AOR (G-02); the identity the network asserted
    // (RFC 3325 P-Asserted-Identity, set by the originating P-CSCF) names the caller.
    const asserted = e.originator === 'remote'
      ? firstAssociatedUri(e.request.getHeader('P-Asserted-Identity')) : null;
    const peer = asserted || (session.remote_identity ? session.remote_identity.uri.toString() : '');
    this.#emit('call', { phase: e.originator === 'remote' ? 'incoming' : 'outgoing', peer });
    session.on('peerconnection', (pe) => this.#attachMedia(pe.peerconnection));
    // JsSIP does not trickle (RFC 8838): it sends the SDP when ICE gathering ends. Chromium may
    // take tens of seconds to end it (seen in tests/e2e: an answer 40+ s late), so once the first
    // candidate is in, the rest get ice_gathering_timeout_ms (default 2 s) and the SDP goes with
    // what is there; host candidates all come at once, STUN/TURN ones within a round trip.
    let iceTimer = null;
    session.on('icecandidate', (ev) => {
      if (iceTimer === null) iceTimer = setTimeout(ev.ready, this.config.ice_gathering_timeout_ms ?? 2000);
    });
    const stopIceTimer = () => { clearTimeout(iceTimer); };
    session.on('sdp', (ev) => {
      if (ev.originator === 'local') { stopIceTimer(); iceTimer = null; } // next offer/answer
    });
    if (session.connection) this.#attachMedia(session.connection);
    // Our own 180 to an incoming call is a 'progress' too (originator local): only the
    // remote's 18x means "the far end rings".
    session.on('progress', (ev) => {
      if (ev.originator === 'remote') this.#emit('call', { phase: 'ringing', peer });
    });
    session.on('confirmed', () => {
      this.#emit('call', { phase: 'established', peer });
      const local = session.connection ? session.connection.getSenders()
        .map((s) => s.track).filter(Boolean) : [];
      this.#emit('localmedia', { stream: new MediaStream(local) });
    });
    const end = (ev) => {
      stopIceTimer();
      this.session = null;
      this.#emit('call', { phase: 'ended', peer, cause: ev.cause, status: endStatus(ev) });
    };
    session.on('ended', end);
    session.on('failed', end);
  }

  /**
   * Media counters of the current call from RTCPeerConnection.getStats() (W3C webrtc-stats):
   * bytes of every inbound-rtp / outbound-rtp stream, or null when there is no call.
   */
  async mediaStats() {
    const pc = this.session && this.session.connection;
    if (!pc) return null;
    const report = await pc.getStats();
    let inboundBytes = 0;
    let outboundBytes = 0;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') inboundBytes += s.bytesReceived || 0;
      if (s.type === 'outbound-rtp') outboundBytes += s.bytesSent || 0;
    });
    return { inboundBytes, outboundBytes };
  }

  #attachMedia(pc) {
    pc.addEventListener('track', (ev) => {
      this.#emit('remotemedia', { stream: ev.streams[0] || new MediaStream([ev.track]) });
    });
  }
}

/**
 * What ended a call, for the page: the final response of a failed outgoing call ("480
 * Temporarily Unavailable"), the Reason header of a CANCEL (RFC 3326; "SIP;cause=200;text=..." when
 * another tab answered, RFC 3261 §16.7 step 10), or who hung up.
 */
function endStatus(ev) {
  const m = ev.message;
  if (m && m.status_code) return `${m.status_code} ${m.reason_phrase}`;
  if (m && m.method === 'CANCEL') {
    const reason = m.getHeader('Reason');
    return reason ? `CANCEL (Reason: ${reason})` : 'CANCEL';
  }
  if (m && m.method === 'BYE') return 'BYE from the peer';
  return ev.originator === 'local' ? 'hung up here' : `${ev.cause}`;
}
