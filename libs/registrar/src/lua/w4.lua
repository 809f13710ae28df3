#!lua name=w4
--
-- W4, the wIMPU Registrar protocol, as a Redis Functions library (Redis >= 7.0).
-- docs/w4.md is the contract; this file is the implementation, embedded in the C++ client at
-- build time and loaded on every (re)connect unless the same or a newer VERSION is installed
-- (docs/w4.md 5.5). A new VERSION keeps every older function, argument and reply form, and reads
-- what older versions stored: older clients call it during a rolling upgrade.
--
-- Every function takes KEYS[1] = "{blk:<id>}:cfg". All keys of a block share the hash tag
-- {blk:<id>}, so a block lives in one slot and the same code runs on Redis Cluster; the other
-- keys are derived from KEYS[1] (same slot).
--
-- Time is Redis time (TIME), in ms since the Unix epoch, so eP-CSCFs with skewed clocks agree.
-- The algorithms mirror libs/registrar/src/memory_block_store.cpp step for step: the conformance
-- suite runs against both.
--
-- Layout (prefix P = "{blk:<id>}"):
--   P:cfg      HASH   layout: MessagePack map of the block's settings (w4_configure); lid: a
--                     short id of that layout (its SHA1 prefix); next: the number of IMPU
--                     indices ever allocated; version: this library's VERSION
--   P:names    HASH   list blocks only: "#<index>" -> canonical IMPU, canonical IMPU -> index
--   P:id       HASH   web identity key -> index
--   P:rel      ZSET   index scored by free_at (ms): registered iff free_at > now + quarantine,
--                     quarantined iff now < free_at <= now + quarantine, free iff free_at <= now
--   P:b:<i>    STRING the record of index i: its owner and stored contacts (expired ones until
--                     the next write); one per index ever allocated. Version 6 writes the
--                     record form below; versions 4-5 wrote MessagePack {owner, {contact, ...}},
--                     which every function still reads (and rewrites in the new form)
--   P:f:<flow> SET    indices with a stored contact on that flow (kept exact on every write)
--
-- Performance: every redis.call costs about a microsecond, and so does converting a dozen
-- arguments or reply fields, so the hot functions make few calls. The client sends REGISTERs
-- as w4_register_records (group commit: FCALL, HGET lid and TIME once per batch), whose refresh
-- makes three calls (GET, SET, ZADD) and never decodes a contact: each contact is a record
-- entry (below) that the client encodes, and the function compares and splices entries with
-- string.byte / string.find, creating about five Lua strings per REGISTER (Redis's Lua hashes
-- every byte of every string it creates: bench/RESULTS.md, session 4). An allocation without a
-- hint is four commands: HSETNX (the claim: lookup and index entry at once), SET, SADD, ZADD;
-- P:cfg `next` is read and written once per call.
--
-- Record form (version 6; all integers unsigned big-endian; docs/w4.md 5.2):
--   record := 0x06, owner_len (2), owner, entry*
--   entry  := expires_at_ms (6), registered_at_ms (6), updated_at_ms (6), cseq (4), part
--   part   := key_len (2), call_id_len (2), flow_len (2), rest_len (4), key, call_id, flow, rest
--   key    := "o" <reg-id decimal> ":" <+sip.instance>  when reg-id != 0 and instance != ""
--           | "u" <Contact URI>                          otherwise       (RFC 5626 §6 / 3261 §10.3)
--   rest   := MessagePack [uri, params, instance, reg_id, epcscf, path, user_agent]
-- Two contacts have the same binding key iff their keys are equal byte for byte. `part` is what
-- the client sends for a contact (w4_register_records); the function prefixes the 22 bytes.

local VERSION = '6'

-- Load-time flag: the loader (RedisOptions::load_test_functions, tests only) replaces this line
-- with "local TEST_FUNCTIONS = true" to register w4_test_advance_time. Production loads the text
-- as is, so no client of a production Redis can move a block's clock.
local TEST_FUNCTIONS = false

-- Stored contact fields (array positions).
local URI, PARAMS, INST, REG, CALLID, CSEQ, EXP, FLOW, EPCSCF, PATH, UA, REGAT, UPDAT =
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
local REGISTER_FIELDS = 11  -- per MessagePack contact in w4_register's arguments

-- Error replies are "<CODE> <detail>": the first word is the machine-readable code (docs/w4.md).
-- A detail is always given: Redis prefixes a lone word with "ERR ".
local DETAIL = {
  INVALID_ARGUMENT = 'malformed arguments', UNKNOWN_BLOCK = 'no such block',
  UNKNOWN_IMPU = 'IMPU not in this block', NOT_FOUND = 'identity holds no IMPU',
  OUT_OF_ORDER = 'same Call-ID, CSeq not higher', POOL_EXHAUSTED = 'no free IMPU in the block',
  TOO_MANY_CONTACTS = 'max_contacts exceeded', CONFIG_MISMATCH = 'stored block layout differs',
}

local function fail(code, detail)
  return redis.error_reply(code .. ' ' .. (detail or DETAIL[code]))
end

-- ---- version-6 records (see the form above) ----------------------------------------------------

-- Local aliases of the string functions (upvalues are cheaper than global lookups). The load-time
-- environment of a Redis function has no `string`, so open() binds them on the first call.
local byte, char, sub, find, floor

local function bind_locals()
  byte, char, sub, find, floor = string.byte, string.char, string.sub, string.find, math.floor
end
local REC6 = 6   -- first byte of a version-6 record (a version-5 record starts with 0x92)
local HEAD = 22  -- entry bytes before its part
local PHEAD = 10 -- part bytes before its key

local function u16(s, p)
  local a, c = byte(s, p, p + 1)
  return a * 256 + c
end

local function u32(s, p)
  local a, c, d, e = byte(s, p, p + 3)
  return ((a * 256 + c) * 256 + d) * 256 + e
end

local function u48(s, p)
  local a, c, d, e, f, g = byte(s, p, p + 5)
  return ((((a * 256 + c) * 256 + d) * 256 + e) * 256 + f) * 256 + g
end

local function be16(v)
  return char(floor(v / 256), v % 256)
end

local function be32(v)
  return char(floor(v / 16777216), floor(v / 65536) % 256, floor(v / 256) % 256, v % 256)
end

-- The 22 bytes of an entry before its part: one string.char, no number formatting. The bytes
-- are taken off with % and exact division (VM arithmetic, exact below 2^53), not math.floor: a
-- C call each, 18 of them per head were a visible part of a REGISTER's Lua time.
local function entry_head(exp, regat, updat, cseq)
  local e0 = exp % 256
  exp = (exp - e0) / 256
  local e1 = exp % 256
  exp = (exp - e1) / 256
  local e2 = exp % 256
  exp = (exp - e2) / 256
  local e3 = exp % 256
  exp = (exp - e3) / 256
  local e4 = exp % 256
  local e5 = (exp - e4) / 256 % 256
  local r0 = regat % 256
  regat = (regat - r0) / 256
  local r1 = regat % 256
  regat = (regat - r1) / 256
  local r2 = regat % 256
  regat = (regat - r2) / 256
  local r3 = regat % 256
  regat = (regat - r3) / 256
  local r4 = regat % 256
  local r5 = (regat - r4) / 256 % 256
  local u0 = updat % 256
  updat = (updat - u0) / 256
  local u1 = updat % 256
  updat = (updat - u1) / 256
  local u2 = updat % 256
  updat = (updat - u2) / 256
  local u3 = updat % 256
  updat = (updat - u3) / 256
  local u4 = updat % 256
  local u5 = (updat - u4) / 256 % 256
  local c0 = cseq % 256
  cseq = (cseq - c0) / 256
  local c1 = cseq % 256
  cseq = (cseq - c1) / 256
  local c2 = cseq % 256
  local c3 = (cseq - c2) / 256 % 256
  return char(e5, e4, e3, e2, e1, e0, r5, r4, r3, r2, r1, r0, u5, u4, u3, u2, u1, u0,
              c3, c2, c1, c0)
end

local function record_header(owner)
  return char(REC6, floor(#owner / 256), #owner % 256)
end

-- A part (or a whole entry) is well formed: its lengths add up to `len` bytes from `p`.
local function part_len(s, p)
  return PHEAD + u16(s, p) + u16(s, p + 2) + u16(s, p + 4) + u32(s, p + 6)
end

local function binding_key(uri, instance, reg_id)
  if reg_id ~= 0 and instance ~= '' then
    return 'o' .. string.format('%d', reg_id) .. ':' .. instance
  end
  return 'u' .. uri
end

-- A contact table (the 13 fields below) as a record entry.
local function encode_entry(c)
  local key = binding_key(c[1], c[3], c[4])
  local rest = cmsgpack.pack({c[1], c[2], c[3], c[4], c[9], c[10], c[11]})
  return entry_head(c[7], c[12], c[13], c[6]) .. be16(#key) .. be16(#c[5]) .. be16(#c[8]) ..
         be32(#rest) .. key .. c[5] .. c[8] .. rest
end

local function encode_record(owner, contacts)
  local parts = {record_header(owner), owner}
  for _, c in ipairs(contacts) do
    parts[#parts + 1] = encode_entry(c)
  end
  return table.concat(parts)
end

-- A version-6 record as owner and contact tables (the slow path: lookups and old functions).
local function decode_record(rec)
  local olen = u16(rec, 2)
  local owner, contacts, e, len = sub(rec, 4, 3 + olen), {}, 4 + olen, #rec
  while e <= len do
    local p = e + HEAD
    local klen, clen, flen, rlen = u16(rec, p), u16(rec, p + 2), u16(rec, p + 4), u32(rec, p + 6)
    local c = p + PHEAD + klen
    local f = c + clen
    local r = cmsgpack.unpack(sub(rec, f + flen, f + flen + rlen - 1))
    contacts[#contacts + 1] = {r[1], r[2], r[3], r[4], sub(rec, c, f - 1), u32(rec, e + 18),
                               u48(rec, e), sub(rec, f, f + flen - 1), r[5], r[6], r[7],
                               u48(rec, e + 6), u48(rec, e + 12)}
    e = f + flen + rlen
  end
  return owner, contacts
end

-- Owner and contact tables of a stored value of either form.
local function decode_any(s)
  if byte(s, 1) == REC6 then
    return decode_record(s)
  end
  local t = cmsgpack.unpack(s)
  return t[1], t[2]
end

local function tag_of(cfgkey)
  if not cfgkey or string.sub(cfgkey, -4) ~= ':cfg' then
    return nil
  end
  return string.sub(cfgkey, 1, -5)
end

-- Decoded layouts by layout id (the SHA1 of the layout): a pure cache, since a changed layout
-- has another id; bounded.
local layouts, layout_count = {}, 0

local function decode_layout(cfgkey, lid)
  local l = layouts[lid]
  if l then
    return l
  end
  l = cmsgpack.unpack(redis.call('HGET', cfgkey, 'layout'))
  l.domain_set = {}
  for _, d in ipairs(l.domains) do
    l.domain_set[d] = true
  end
  l.fmt = '%0' .. l.width .. 'd'
  if layout_count >= 64 then
    layouts, layout_count = {}, 0
  end
  layouts[lid], layout_count = l, layout_count + 1
  return l
end

-- Every function starts here: the block's tag, layout and the current time.
local function open(keys)
  if not byte then
    bind_locals()
  end
  local tag = tag_of(keys[1])
  if not tag then
    return nil, fail('INVALID_ARGUMENT', 'KEYS[1] must be {blk:<id>}:cfg')
  end
  local lid = redis.call('HGET', keys[1], 'lid')
  if not lid then
    return nil, fail('UNKNOWN_BLOCK')
  end
  local cfg = decode_layout(keys[1], lid)
  local t = redis.call('TIME')
  return {
    tag = tag, cfgkey = keys[1], cfg = cfg,
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + cfg.toff,
  }
end

-- The number of indices ever allocated (only allocation and listing need it).
local function next_index(b)
  return tonumber(redis.call('HGET', b.cfgkey, 'next')) or 0
end

-- Canonical IMPU (same rule as canonical_impu() in block.cpp): scheme and host lower-cased,
-- parameters and headers dropped. Returns canonical, user-or-number, host (sip only).
local function canonical(uri)
  local colon = string.find(uri, ':', 1, true)
  if not colon then
    return nil
  end
  local scheme = string.lower(string.sub(uri, 1, colon - 1))
  local rest = string.sub(uri, colon + 1)
  if scheme == 'tel' then
    local num = string.match(rest, '^[^;?]*')
    if num == '' then
      return nil
    end
    return 'tel:' .. num, num, nil
  elseif scheme == 'sip' then
    local at = string.find(rest, '@', 1, true)
    if not at or at == 1 then
      return nil
    end
    local user = string.sub(rest, 1, at - 1)
    local host = string.lower(string.match(string.sub(rest, at + 1), '^[^;?]*'))
    if host == '' then
      return nil
    end
    return 'sip:' .. user .. '@' .. host, user, host
  end
  return nil
end

-- IMPU -> index in this block, or nil.
local function resolve(b, impu)
  local canon, user, host = canonical(impu or '')
  if not canon then
    return nil
  end
  local cfg = b.cfg
  if cfg.kind == 'list' then
    local i = redis.call('HGET', b.tag .. ':names', canon)
    return i and tonumber(i) or nil
  end
  local plus = string.sub(user, 1, 1) == '+'
  local digits = plus and string.sub(user, 2) or user
  if plus ~= cfg.plus or #digits ~= cfg.width or not string.match(digits, '^%d+$') then
    return nil
  end
  if host and not cfg.domain_set[host] then
    return nil
  end
  local i = tonumber(digits) - cfg.first
  if i < 0 or i >= cfg.size then
    return nil
  end
  return i
end

local function render(b, i)
  local cfg = b.cfg
  if cfg.kind == 'list' then
    return redis.call('HGET', b.tag .. ':names', '#' .. i)
  end
  local num = string.format(cfg.fmt, cfg.first + i)
  if cfg.plus then
    num = '+' .. num
  end
  if cfg.sip then
    return 'sip:' .. num .. '@' .. cfg.domains[1]
  end
  return 'tel:' .. num
end

-- The owner of index i and its stored contacts (live or not).
local function load_blob(b, i)
  local s = redis.call('GET', b.tag .. ':b:' .. i)
  if not s then
    return nil, {}
  end
  return decode_any(s)
end

local function live(b, contacts)
  local out = {}
  for _, c in ipairs(contacts) do
    if c[EXP] > b.now then
      out[#out + 1] = c
    end
  end
  return out
end

-- RFC 5626 §6: (instance, reg-id) when both present, else the Contact URI (RFC 3261 §10.3).
local function same_key(c, uri, instance, reg_id)
  local c_ob = c[REG] ~= 0 and c[INST] ~= ''
  if reg_id ~= 0 and instance ~= '' then
    return c_ob and c[REG] == reg_id and c[INST] == instance
  end
  return (not c_ob) and c[URI] == uri
end

local function flows_of(contacts)
  local set = {}
  for _, c in ipairs(contacts) do
    if c[FLOW] ~= '' then
      set[c[FLOW]] = true
    end
  end
  return set
end

-- Replaces index i's blob: `new` (all live) replaces `old` (what was stored); the flow sets
-- follow, so that a flow's set holds exactly the indices with a stored contact on it.
-- The record is written in the version-6 form, whatever form it had.
local function rewrite(b, i, owner, old, new)
  redis.call('SET', b.tag .. ':b:' .. i, encode_record(owner, new))
  local was, now_on = flows_of(old), flows_of(new)
  for f in pairs(was) do
    if not now_on[f] then
      redis.call('SREM', b.tag .. ':f:' .. f, i)
    end
  end
  for f in pairs(now_on) do
    if not was[f] then
      redis.call('SADD', b.tag .. ':f:' .. f, i)
    end
  end
end

-- After a rewrite: index i's free_at (see the layout above).
local function settle(b, i, contacts, released_or_new)
  local free_at
  if #contacts > 0 then
    local latest = contacts[1][EXP]
    for _, c in ipairs(contacts) do
      if c[EXP] > latest then
        latest = c[EXP]
      end
    end
    free_at = latest + b.cfg.q
  elseif released_or_new then
    free_at = b.now + b.cfg.q
  end
  if free_at then
    -- '%d': a Lua number argument would be formatted as '%.17g' (printf's slow float path).
    redis.call('ZADD', b.tag .. ':rel', string.format('%d', free_at), i)
  end
end

local function free_at_of(b, i)
  local s = redis.call('ZSCORE', b.tag .. ':rel', i)
  return s and tonumber(s) or nil
end

local function state_of(b, free_at)
  if not free_at then
    return 'free'
  elseif free_at > b.now + b.cfg.q then
    return 'registered'
  elseif free_at > b.now then
    return 'quarantined'
  end
  return 'free'
end

-- Never-used indices first, then one whose quarantine is over. Returns index, reclaimed.
local function pick_free(b)
  if not b.all_used then
    -- One HINCRBY instead of HGET + HSET; when every index has been used it is undone (the
    -- function's effects are one atomic step) and not tried again in this call.
    local next = redis.call('HINCRBY', b.cfgkey, 'next', 1)
    if next <= b.cfg.size then
      return next - 1, false
    end
    redis.call('HINCRBY', b.cfgkey, 'next', -1)
    b.all_used = true
  end
  local r = redis.call('ZRANGEBYSCORE', b.tag .. ':rel', '-inf', string.format('%d', b.now),
                       'LIMIT', 0, 1)
  if #r == 0 then
    return nil
  end
  return tonumber(r[1]), true
end

-- The index pick_free would return, without taking it (w4_register_records). A never-used index
-- comes from b.next, the call's own copy of P:cfg `next`, read once per call and written back
-- once at its end (flush_next): HGET + HSET per call instead of one HINCRBY per allocation.
-- Returns index, reclaimed; nil when the block is exhausted.
local function peek_free(b)
  if not b.next then
    b.next = next_index(b)
  end
  if b.next < b.cfg.size then
    return b.next, false
  end
  local r = redis.call('ZRANGEBYSCORE', b.rel, '-inf', string.format('%d', b.now), 'LIMIT', 0, 1)
  if #r == 0 then
    return nil
  end
  return tonumber(r[1]), true
end

-- Takes the index peek_free returned (a reclaimed one is taken by its ZADD).
local function take_free(b, i, reclaimed)
  if not reclaimed then
    b.next, b.next_dirty = i + 1, true
  end
end

local function flush_next(b)
  if b.next_dirty then
    redis.call('HSET', b.cfgkey, 'next', string.format('%d', b.next))
    b.next_dirty = false
  end
end

-- Reply form of a contact (14 fields, docs/w4.md).
local function contact_reply(b, c)
  return {c[URI], c[PARAMS], c[INST], c[REG], c[CALLID], c[CSEQ], c[EXP],
          math.ceil((c[EXP] - b.now) / 1000), c[FLOW], c[EPCSCF], c[PATH], c[UA], c[REGAT], c[UPDAT]}
end

-- Reply form of a binding: impu, state, owner, now, contact...
local function binding_reply(b, i, free_at)
  local state = state_of(b, free_at)
  local out = {render(b, i), state, '', b.now}
  if state == 'free' then
    return out
  end
  local owner, stored = load_blob(b, i)
  out[3] = owner or ''
  for _, c in ipairs(stored) do
    if c[EXP] > b.now then
      out[#out + 1] = contact_reply(b, c)
    end
  end
  return out
end

local NUMERIC = {[REG] = true, [CSEQ] = true, [EXP] = true}

local function well_typed(u)
  for f = 1, REGISTER_FIELDS do
    if type(u[f]) ~= (NUMERIC[f] and 'number' or 'string') then
      return false
    end
  end
  return true
end

-- One REGISTER of a web identity (the version-5 argument form, kept for older clients): the n
-- contacts are args[base + 1 .. base + n], each one MessagePack array of REGISTER_FIELDS.
-- Returns {index, newly (0/1), now, blob} (blob: the binding as MessagePack {owner,
-- {contact...}}), or an error reply; nothing is written on error.
local function register_one(b, ident, n, args, base)
  if not ident or ident == '' or not n or n < 1 then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  local ups, adds = {}, false
  for k = 1, n do
    local ok, u = pcall(cmsgpack.unpack, args[base + k])
    if not ok or type(u) ~= 'table' or #u ~= REGISTER_FIELDS or not well_typed(u) or
        u[URI] == '' or u[CALLID] == '' then
      return fail('INVALID_ARGUMENT', 'contact ' .. k)
    end
    adds = adds or u[EXP] > 0
    ups[k] = u
  end

  -- The index is kept as the decimal string Redis returns, for building keys and members: a Lua
  -- number would be formatted with '%.14g' at every concatenation.
  local si = redis.call('HGET', b.tag .. ':id', ident)
  if not si and not adds then
    return fail('NOT_FOUND')
  end
  local owner, stored = nil, {}
  if si then
    owner, stored = load_blob(b, si)
  end
  -- One pass over the stored contacts: keep the live ones and check RFC 3261 §10.3 step 7
  -- against the stored state, before anything is written.
  local contacts = {}
  for _, c in ipairs(stored) do
    if c[EXP] > b.now then
      contacts[#contacts + 1] = c
      for _, u in ipairs(ups) do
        if c[CALLID] == u[CALLID] and u[CSEQ] <= c[CSEQ] and same_key(c, u[URI], u[INST], u[REG]) then
          return fail('OUT_OF_ORDER', 'CSeq ' .. u[CSEQ] .. ' <= ' .. c[CSEQ])
        end
      end
    end
  end
  -- The contact list after the request (nothing is written unless all of it succeeds). An
  -- argument array becomes the stored contact: expires_s turns into the absolute expiry.
  local removed = 0
  for _, u in ipairs(ups) do
    local pos
    for j, c in ipairs(contacts) do
      if same_key(c, u[URI], u[INST], u[REG]) then
        pos = j
        break
      end
    end
    if u[EXP] == 0 then
      if pos then
        table.remove(contacts, pos)
        removed = removed + 1
      end
    else
      u[EXP] = b.now + u[EXP] * 1000
      u[REGAT] = pos and contacts[pos][REGAT] or b.now
      u[UPDAT] = b.now
      if pos then
        contacts[pos] = u  -- RFC 5626 §6: a re-registration moves the binding to the new flow
      else
        contacts[#contacts + 1] = u
      end
    end
  end
  if #contacts > b.cfg.max then
    return fail('TOO_MANY_CONTACTS')
  end

  local newly = 0
  if not si then
    local i, reclaimed = pick_free(b)
    if not i then
      return fail('POOL_EXHAUSTED')
    end
    si = string.format('%d', i)
    if reclaimed then
      -- The previous owner's contacts have all expired; it loses the index.
      local previous
      previous, stored = load_blob(b, si)
      if previous then
        redis.call('HDEL', b.tag .. ':id', previous)
      end
    end
    redis.call('HSET', b.tag .. ':id', ident, si)
    owner, newly = ident, 1
  end
  rewrite(b, si, owner, stored, contacts)
  settle(b, si, contacts, removed > 0 or newly == 1)
  -- The version-5 reply form (docs/w4.md): the binding as MessagePack, whatever form is stored.
  return {tonumber(si), newly, b.now, cmsgpack.pack({owner, contacts})}
end

-- ARGV: identity key, n, then n contacts (see register_one).
-- Reply: {index, newly (0/1), now, blob}.
local function w4_register(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local n = tonumber(args[2])
  if not n or #args ~= 2 + n then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  return register_one(b, args[1], n, args, 2)
end

-- Group commit: m REGISTERs of one block in one call, applied in order, each atomic on its own
-- (one failing does not undo or stop the others). Clients coalesce the registers issued in one
-- event-loop turn into one call: the per-call cost (FCALL dispatch, HGET lid, TIME, reply
-- framing) is paid once per batch instead of once per REGISTER.
-- ARGV: m, then m times: identity key, n, n contacts (as w4_register's arguments).
-- Reply: an array of m elements, each w4_register's reply or its error.
local function w4_register_batch(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local m = tonumber(args[1])
  if not m or m < 1 then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  -- The framing is checked in full before any request is applied (version 6; version 5 applied
  -- the requests before it found arguments left over).
  local pos = 1
  for k = 1, m do
    local n = tonumber(args[pos + 2])
    if not n or n < 1 or pos + 2 + n > #args then
      return fail('INVALID_ARGUMENT', 'request ' .. k)
    end
    pos = pos + 2 + n
  end
  if pos ~= #args then
    return fail('INVALID_ARGUMENT', 'trailing arguments')
  end
  local out = {}
  pos = 1
  for k = 1, m do
    local n = tonumber(args[pos + 2])
    out[k] = register_one(b, args[pos + 1], n, args, pos + 2)
    pos = pos + 2 + n
  end
  return out
end

-- ---- w4_register_records: REGISTERs in the record form (version 6) ------------------------------

-- Entry items of a binding being rebuilt: {src, p, exp, cseq, regat, head}. A stored entry that
-- stays as it is has src = the record, p = the position of its part, head = false; a new or
-- refreshed one has src = the client's part (p = 1) and head = its new 22 bytes.

-- True when the parts at (s1, p1) and (s2, p2) have the same binding key.
local function same_key_at(s1, p1, s2, p2)
  local kl = u16(s1, p1)
  if kl ~= u16(s2, p2) then
    return false
  end
  return sub(s1, p1 + PHEAD, p1 + PHEAD + kl - 1) == sub(s2, p2 + PHEAD, p2 + PHEAD + kl - 1)
end

local function same_call_id_at(s1, p1, s2, p2)
  local cl = u16(s1, p1 + 2)
  if cl ~= u16(s2, p2 + 2) then
    return false
  end
  local c1, c2 = p1 + PHEAD + u16(s1, p1), p2 + PHEAD + u16(s2, p2)
  return sub(s1, c1, c1 + cl - 1) == sub(s2, c2, c2 + cl - 1)
end

-- The part `u` (a whole string) equals, byte for byte, the part at p of s: same key, Call-ID,
-- flow and data. Plain find anchored at p: no Lua string is created.
local function same_part_at(s, p, u)
  return find(s, u, p, true) == p
end

local function flow_at(s, p)
  local fl = u16(s, p + 4)
  if fl == 0 then
    return nil
  end
  local f = p + PHEAD + u16(s, p) + u16(s, p + 2)
  return sub(s, f, f + fl - 1)
end

-- Flows of every entry of a version-6 record (expired ones too: the flow sets hold the indices
-- with a stored contact on a flow).
local function record_flows(rec, set)
  if not rec then
    return set
  end
  local e, len = 4 + u16(rec, 2), #rec
  while e <= len do
    local p = e + HEAD
    local f = flow_at(rec, p)
    if f then
      set[f] = true
    end
    e = p + part_len(rec, p)
  end
  return set
end

-- A stored value in the version-6 form (a version-5 one is converted: second result true), or
-- nil.
local function as_record(s)
  if not s then
    return nil, false
  end
  if byte(s, 1) == REC6 then
    return s, false
  end
  local owner, contacts = decode_any(s)
  return encode_record(owner, contacts), true
end

local function owned_by(rec, ident)
  return u16(rec, 2) == #ident and find(rec, ident, 4, true) == 4
end

-- The usual allocation, once the identity has claimed a never-used index (register_rec): one
-- contact, nothing stored before. The record is its header and one entry, the flow set gets the
-- index, and nothing else is read: the same effects as the general path, without its tables.
local function new_binding(b, ident, si, bkey, u, nums)
  take_free(b, b.next, false)
  local exp = b.now + u32(nums, 1) * 1000
  local out = char(REC6, floor(#ident / 256), #ident % 256) .. ident ..
              entry_head(exp, b.now, b.now, u32(nums, 5)) .. u
  redis.call('SET', bkey, out)
  local f = flow_at(u, 1)
  if f then
    redis.call('SADD', b.fprefix .. f, si)
  end
  redis.call('ZADD', b.rel, string.format('%d', exp + b.cfg.q), si)
  return {b.next - 1, 1, b.now, out}
end

-- One REGISTER: identity key, index hint ('' or a decimal index), nums (8 bytes per contact:
-- expires_s, cseq), and the contacts' parts args[base + 1 .. base + n]. Same rules as
-- register_one (RFC 3261 §10.3, RFC 5626 §6), checked before anything is written.
-- Returns {index, newly, now, record} or an error reply.
local function register_rec(b, ident, hint, nums, n, args, base)
  if not ident or ident == '' or #ident > 65535 then
    return fail('INVALID_ARGUMENT', 'identity')
  end
  local adds = false
  for k = 1, n do
    local u = args[base + k]
    local len = #u
    if len <= PHEAD then
      return fail('INVALID_ARGUMENT', 'contact ' .. k)
    end
    -- The part's lengths and the key's first byte in one string.byte (part_len's four calls
    -- and the checks below were a tenth of an allocation's Lua time).
    local k1, k2, c1, c2, f1, f2, r1, r2, r3, r4, kind = byte(u, 1, PHEAD + 1)
    local kl, cl, rl = k1 * 256 + k2, c1 * 256 + c2, ((r1 * 256 + r2) * 256 + r3) * 256 + r4
    if len ~= PHEAD + kl + cl + f1 * 256 + f2 + rl or kl < 2 or cl < 1 or rl < 1 then
      return fail('INVALID_ARGUMENT', 'contact ' .. k)
    end
    -- The key is "o..." or "u...", and rest a 7-element MessagePack array (0x97): readers decode it.
    if (kind ~= 111 and kind ~= 117) or byte(u, len - rl + 1) ~= 0x97 then
      return fail('INVALID_ARGUMENT', 'contact ' .. k .. ' key or rest')
    end
    adds = adds or u32(nums, 8 * k - 7) > 0
  end

  -- The index: the hint when the record there is this identity's (a record's owner holds the
  -- index in P:id and the other way round), else P:id. The index stays Redis's decimal string.
  local si, bkey, rec, converted
  if hint ~= '' and (hint == '0' or find(hint, '^[1-9]%d*$')) and #hint < 16 and
      tonumber(hint) < b.cfg.size then
    bkey = b.bprefix .. hint
    rec, converted = as_record(redis.call('GET', bkey))
    if rec and owned_by(rec, ident) then
      si = hint
    else
      rec = nil
    end
  end
  -- No hint and a contact to add: claim first. HSETNX of the identity with the index
  -- peek_free offers is the lookup and, for a new identity (the usual case without a hint), the
  -- index entry in one command (docs/w4.md 5.4). It is undone if the request then fails.
  local claimed, reclaimed = false, false
  if not si and hint == '' and adds then
    local cand, recl = peek_free(b)
    if cand then
      local c = string.format('%d', cand)
      if redis.call('HSETNX', b.idkey, ident, c) == 1 then
        si, bkey, claimed, reclaimed = c, b.bprefix .. c, true, recl
      end
    end
  end
  if claimed and not reclaimed and n == 1 and b.cfg.max >= 1 then
    return new_binding(b, ident, si, bkey, args[base + 1], nums)
  end
  if not si then
    si = redis.call('HGET', b.idkey, ident)
    if si then
      bkey = b.bprefix .. si
      rec, converted = as_record(redis.call('GET', bkey))
    elseif not adds then
      return fail('NOT_FOUND')
    end
  end

  -- The live stored entries, and the RFC 3261 §10.3 step 7 check against them.
  local items, flows_dirty, dropped = {}, false, false
  if rec then
    local e, len = 4 + u16(rec, 2), #rec
    while e <= len do
      local p = e + HEAD
      local nxt = p + part_len(rec, p)
      local exp = u48(rec, e)
      if exp > b.now then
        local cseq = u32(rec, e + 18)
        for k = 1, n do
          local u = args[base + k]
          if (same_part_at(rec, p, u) or
              (same_key_at(rec, p, u, 1) and same_call_id_at(rec, p, u, 1))) and
              u32(nums, 8 * k - 3) <= cseq then
            return fail('OUT_OF_ORDER', 'CSeq ' .. u32(nums, 8 * k - 3) .. ' <= ' .. cseq)
          end
        end
        items[#items + 1] = {rec, p, exp, cseq, u48(rec, e + 6), false}
      else
        dropped = true  -- an expired entry is dropped at this write
        flows_dirty = flows_dirty or u16(rec, p + 4) > 0
      end
      e = nxt
    end
  end

  -- The binding after the request (nothing is written unless all of it succeeds). `patch`: the
  -- stored entry that only its head changes, when that is the whole change (see below).
  local removed, patch, patch_pos = 0, nil, nil
  for k = 1, n do
    local u = args[base + k]
    local pos, same
    for j, it in ipairs(items) do
      if same_part_at(it[1], it[2], u) then
        pos, same = j, true
        break
      elseif same_key_at(it[1], it[2], u, 1) then
        pos = j
        break
      end
    end
    local exp_s = u32(nums, 8 * k - 7)
    if exp_s == 0 then
      if pos then
        if u16(items[pos][1], items[pos][2] + 4) > 0 then
          flows_dirty = true
        end
        table.remove(items, pos)
        removed = removed + 1
      end
    else
      local exp, cseq = b.now + exp_s * 1000, u32(nums, 8 * k - 3)
      local regat = pos and items[pos][5] or b.now
      local it = {u, 1, exp, cseq, regat, entry_head(exp, regat, b.now, cseq)}
      if pos then
        -- RFC 5626 §6: a re-registration takes the new flow (same part: same flow)
        flows_dirty = flows_dirty or not same
        if same and n == 1 and not items[pos][6] then
          patch, patch_pos = items[pos][2] - HEAD, pos
        end
        items[pos] = it
      else
        flows_dirty = flows_dirty or u16(u, 5) > 0
        items[#items + 1] = it
      end
    end
  end
  if #items > b.cfg.max then
    if claimed then
      redis.call('HDEL', b.idkey, ident)  -- the request changes nothing
    end
    return fail('TOO_MANY_CONTACTS')
  end

  local newly, was = 0, nil
  if not si or claimed then
    if not claimed then
      local i
      i, reclaimed = peek_free(b)
      if not i then
        return fail('POOL_EXHAUSTED')
      end
      si = string.format('%d', i)
      bkey = b.bprefix .. si
      redis.call('HSET', b.idkey, ident, si)
    end
    take_free(b, tonumber(si), reclaimed)
    if reclaimed then
      -- The previous owner's contacts have all expired; it loses the index.
      local prev = as_record(redis.call('GET', bkey))
      if prev then
        redis.call('HDEL', b.idkey, sub(prev, 4, 3 + u16(prev, 2)))
        was = record_flows(prev, {})
        flows_dirty = true
      end
    end
    newly = 1
  end

  -- A refresh that changes only one entry's head (same part, nothing dropped, record already in
  -- the version-6 form) is written in place: SETRANGE of the 22 bytes, no new record string. The
  -- reply then carries the record as {base, offset, bytes} (docs/w4.md 5.4).
  if patch and not dropped and not flows_dirty and not converted then
    local head = items[patch_pos][6]
    redis.call('SETRANGE', bkey, string.format('%d', patch - 1), head)
    local free_at = items[1][3]
    for j = 2, #items do
      if items[j][3] > free_at then
        free_at = items[j][3]
      end
    end
    redis.call('ZADD', b.rel, string.format('%d', free_at + b.cfg.q), si)
    return {tonumber(si), 0, b.now, {rec, patch - 1, head}}
  end

  local out
  if #items == 1 and items[1][6] then
    out = record_header(ident) .. ident .. items[1][6] .. items[1][1]
  else
    local parts = {record_header(ident), ident}
    for _, it in ipairs(items) do
      if it[6] then
        parts[#parts + 1] = it[6]
        parts[#parts + 1] = it[1]
      else
        parts[#parts + 1] = sub(rec, it[2] - HEAD, it[2] + part_len(rec, it[2]) - 1)
      end
    end
    out = table.concat(parts)
  end
  redis.call('SET', bkey, out)

  if flows_dirty then
    was = was or record_flows(rec, {})
    local now_on = {}
    for _, it in ipairs(items) do
      local f = flow_at(it[1], it[2])
      if f then
        now_on[f] = true
      end
    end
    for f in pairs(was) do
      if not now_on[f] then
        redis.call('SREM', b.tag .. ':f:' .. f, si)
      end
    end
    for f in pairs(now_on) do
      if not was[f] then
        redis.call('SADD', b.tag .. ':f:' .. f, si)
      end
    end
  end

  local free_at
  if #items > 0 then
    free_at = items[1][3]
    for j = 2, #items do
      if items[j][3] > free_at then
        free_at = items[j][3]
      end
    end
    free_at = free_at + b.cfg.q
  elseif removed > 0 or newly == 1 then
    free_at = b.now + b.cfg.q
  end
  if free_at then
    redis.call('ZADD', b.rel, string.format('%d', free_at), si)
  end
  return {tonumber(si), newly, b.now, out}
end

-- Group commit in the record form. ARGV: m, then m times: identity key, index hint ('' or the
-- decimal index the identity held last), nums (8 bytes per contact: expires_s, cseq, each a
-- big-endian uint32), then one part per contact (the record form above).
-- Reply: an array of m elements, each {index, newly (0/1), now, record} or its error.
local function w4_register_records(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local m = tonumber(args[1])
  if not m or m < 1 then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  b.bprefix, b.rel, b.idkey, b.fprefix = b.tag .. ':b:', b.tag .. ':rel', b.tag .. ':id',
                                         b.tag .. ':f:'
  -- The framing is checked in full before any request is applied: a framing error applies none.
  local pos, nargs = 1, #args
  for k = 1, m do
    local nums = args[pos + 3]
    local n = nums and #nums / 8
    if not n or n < 1 or n ~= floor(n) or pos + 3 + n > nargs then
      return fail('INVALID_ARGUMENT', 'request ' .. k)
    end
    pos = pos + 3 + n
  end
  if pos ~= nargs then
    return fail('INVALID_ARGUMENT', 'trailing arguments')
  end
  local out = {}
  pos = 1
  for k = 1, m do
    local nums = args[pos + 3]
    local n = #nums / 8
    out[k] = register_rec(b, args[pos + 1], args[pos + 2], nums, n, args, pos + 3)
    pos = pos + 3 + n
  end
  flush_next(b)
  return out
end

local function w4_remove_contact(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local i = resolve(b, args[1])
  local reg_id = tonumber(args[4])
  if not i then
    return fail('UNKNOWN_IMPU')
  end
  if not reg_id or not args[2] or not args[3] then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  local owner, stored = load_blob(b, i)
  local contacts = live(b, stored)
  for j, c in ipairs(contacts) do
    if same_key(c, args[2], args[3], reg_id) then
      table.remove(contacts, j)
      rewrite(b, i, owner, stored, contacts)
      settle(b, i, contacts, true)
      return {1, #contacts, #contacts == 0 and 1 or 0}
    end
  end
  return {0, #contacts, 0}
end

local function w4_remove_all(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local i = resolve(b, args[1])
  if not i then
    return fail('UNKNOWN_IMPU')
  end
  local guard_cseq = args[3] and tonumber(args[3])
  if args[2] and not guard_cseq then
    return fail('INVALID_ARGUMENT', 'guard')
  end
  local owner, stored = load_blob(b, i)
  local contacts = live(b, stored)
  for _, c in ipairs(contacts) do
    if args[2] and c[CALLID] == args[2] and c[CSEQ] >= guard_cseq then
      return fail('OUT_OF_ORDER', 'CSeq ' .. guard_cseq .. ' <= ' .. c[CSEQ])
    end
  end
  if #contacts == 0 then
    return {0, 0, 0}
  end
  rewrite(b, i, owner, stored, {})
  settle(b, i, {}, true)
  return {#contacts, 0, 1}
end

local function w4_remove_flow(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local flow = args[1]
  if not flow or flow == '' then
    return fail('INVALID_ARGUMENT', 'flow')
  end
  local fkey = b.tag .. ':f:' .. flow
  local total = 0
  for _, m in ipairs(redis.call('SMEMBERS', fkey)) do
    local i = tonumber(m)
    local owner, stored = load_blob(b, i)
    local keep, removed, on_flow = {}, 0, false
    for _, c in ipairs(stored) do
      if c[FLOW] == flow then
        on_flow = true
        if c[EXP] > b.now then
          removed = removed + 1
        end
      elseif c[EXP] > b.now then
        keep[#keep + 1] = c
      end
    end
    if on_flow then
      rewrite(b, i, owner, stored, keep)
    end
    if removed > 0 then
      settle(b, i, keep, true)
      total = total + removed
    end
  end
  redis.call('DEL', fkey)
  return total
end

local function w4_lookup(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local i = resolve(b, args[1])
  if not i then
    return fail('UNKNOWN_IMPU')
  end
  return binding_reply(b, i, free_at_of(b, i))
end

-- Version 6: the record itself, decoded by the client (no contact decoded or converted here).
-- ARGV: impu. Reply: {state, now_ms, record} (record "" when free).
local function w4_lookup_record(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local i = resolve(b, args[1])
  if not i then
    return fail('UNKNOWN_IMPU')
  end
  local state = state_of(b, free_at_of(b, i))
  if state == 'free' then
    return {state, b.now, ''}
  end
  return {state, b.now, redis.call('GET', b.tag .. ':b:' .. i) or ''}
end

local function w4_is_registered(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local i = resolve(b, args[1])
  if not i then
    return fail('UNKNOWN_IMPU')
  end
  return state_of(b, free_at_of(b, i)) == 'registered' and 1 or 0
end

local function w4_lookup_identity(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local i = args[1] and redis.call('HGET', b.tag .. ':id', args[1])
  if not i then
    return fail('NOT_FOUND')
  end
  i = tonumber(i)
  local free_at = free_at_of(b, i)
  if not free_at or free_at <= b.now then
    return fail('NOT_FOUND')
  end
  return binding_reply(b, i, free_at)
end

local function w4_usage(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local rel, edge = b.tag .. ':rel', b.now + b.cfg.q
  local registered = redis.call('ZCOUNT', rel, string.format('(%d', edge), '+inf')
  local quarantined = redis.call('ZCOUNT', rel, string.format('(%d', b.now), string.format('%d', edge))
  return {b.cfg.size, registered, quarantined, b.cfg.size - registered - quarantined}
end

local function w4_list(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local cursor, limit = tonumber(args[1]), tonumber(args[2])
  if not cursor or not limit or cursor < 0 or limit < 1 or limit > 1000 then
    return fail('INVALID_ARGUMENT', 'cursor/limit')
  end
  local out, next = {}, next_index(b)
  for i = cursor, math.min(cursor + limit, next) - 1 do
    local free_at = free_at_of(b, i)
    if state_of(b, free_at) ~= 'free' then
      out[#out + 1] = binding_reply(b, i, free_at)
    end
  end
  return {cursor + limit < next and cursor + limit or 0, out}
end

-- Creates the block, or checks that the stored layout is the configured one (IMPU indices must
-- keep their meaning) and updates the settings that may change.
-- ARGV: kind first size width plus domains sip tel quarantine_ms max_contacts epcscf wildcard
--       [list: canonical IMPUs in index order]
local function w4_configure(keys, args)
  local tag = tag_of(keys[1])
  if not tag or #args < 12 then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  local first, size, width = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  local q, max = tonumber(args[9]), tonumber(args[10])
  if not first or not size or not width or not q or not max then
    return fail('INVALID_ARGUMENT', 'numbers')
  end
  local cur = redis.call('HGET', keys[1], 'layout')
  local toff = 0
  if cur then
    local c = cmsgpack.unpack(cur)
    if c.kind ~= args[1] or c.first ~= first or c.size ~= size or c.width ~= width or
        c.plus ~= (args[5] == '1') then
      return fail('CONFIG_MISMATCH', 'stored layout differs from the configuration')
    end
    for k = 13, #args do
      if redis.call('HGET', tag .. ':names', '#' .. (k - 13)) ~= args[k] then
        return fail('CONFIG_MISMATCH', 'stored IMPU list differs from the configuration')
      end
    end
    toff = c.toff or 0
  else
    redis.call('HSET', keys[1], 'next', 0)
    for k = 13, #args do
      redis.call('HSET', tag .. ':names', '#' .. (k - 13), args[k], args[k], k - 13)
    end
  end
  local domains = {}
  for d in string.gmatch(args[6], '[^,]+') do
    domains[#domains + 1] = d
  end
  local layout = {
    kind = args[1], first = first, size = size, width = width, plus = args[5] == '1',
    domains = domains, sip = args[7] == '1', tel = args[8] == '1', q = q, max = max,
    epcscf = args[11], wildcard = args[12], toff = toff,
  }
  local packed = cmsgpack.pack(layout)
  redis.call('HSET', keys[1], 'layout', packed, 'lid', string.sub(redis.sha1hex(packed), 1, 16),
             'version', VERSION)
  return 'OK'
end

-- Test hook: moves this block's clock forward by ARGV[1] ms, so that tests of 60 s quarantines
-- need not wait. Kept in the layout (persisted, survives reconnects). Registered only when the
-- library is loaded with TEST_FUNCTIONS = true (below); production loads never have it.
local function w4_test_advance_time(keys, args)
  local cur = keys[1] and redis.call('HGET', keys[1], 'layout')
  local ms = tonumber(args[1])
  if not cur or not ms then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  local l = cmsgpack.unpack(cur)
  l.toff = (l.toff or 0) + ms
  local packed = cmsgpack.pack(l)
  redis.call('HSET', keys[1], 'layout', packed, 'lid', string.sub(redis.sha1hex(packed), 1, 16))
  return l.toff
end

local function w4_version()
  return VERSION
end

local ro = {'no-writes'}
redis.register_function{function_name = 'w4_register', callback = w4_register}
redis.register_function{function_name = 'w4_register_batch', callback = w4_register_batch}
redis.register_function{function_name = 'w4_register_records', callback = w4_register_records}
redis.register_function{function_name = 'w4_remove_contact', callback = w4_remove_contact}
redis.register_function{function_name = 'w4_remove_all', callback = w4_remove_all}
redis.register_function{function_name = 'w4_remove_flow', callback = w4_remove_flow}
redis.register_function{function_name = 'w4_configure', callback = w4_configure}
if TEST_FUNCTIONS then
  redis.register_function{function_name = 'w4_test_advance_time', callback = w4_test_advance_time}
end
redis.register_function{function_name = 'w4_lookup', callback = w4_lookup, flags = ro}
redis.register_function{function_name = 'w4_lookup_record', callback = w4_lookup_record, flags = ro}
redis.register_function{function_name = 'w4_is_registered', callback = w4_is_registered, flags = ro}
redis.register_function{function_name = 'w4_lookup_identity', callback = w4_lookup_identity, flags = ro}
redis.register_function{function_name = 'w4_usage', callback = w4_usage, flags = ro}
redis.register_function{function_name = 'w4_list', callback = w4_list, flags = ro}
redis.register_function{function_name = 'w4_version', callback = w4_version, flags = ro}
