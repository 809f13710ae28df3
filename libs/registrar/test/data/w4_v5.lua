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
--   P:b:<i>    STRING MessagePack {owner, {contact, ...}}: the owner of index i and its stored
--                     contacts (expired ones until the next write); one per index ever allocated
--   P:f:<flow> SET    indices with a stored contact on that flow (kept exact on every write)
--
-- Performance: every redis.call costs about a microsecond, and so does converting a dozen
-- arguments or reply fields, so the hot functions make few calls (a refreshing w4_register:
-- HGET lid, TIME, HGET, GET, SET, ZADD), take each contact as one MessagePack argument and
-- return the stored binding as one MessagePack string (docs/w4.md). The client sends REGISTERs
-- as w4_register_batch (group commit), which pays the FCALL, HGET lid and TIME once per batch.

local VERSION = '5'

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
  local t = cmsgpack.unpack(s)
  return t[1], t[2]
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
-- Returns the new blob.
local function rewrite(b, i, owner, old, new)
  local blob = cmsgpack.pack({owner, new})
  redis.call('SET', b.tag .. ':b:' .. i, blob)
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
  return blob
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
  local next = next_index(b)
  if next < b.cfg.size then
    redis.call('HSET', b.cfgkey, 'next', string.format('%d', next + 1))
    return next, false
  end
  local r = redis.call('ZRANGEBYSCORE', b.tag .. ':rel', '-inf', string.format('%d', b.now),
                       'LIMIT', 0, 1)
  if #r == 0 then
    return nil
  end
  return tonumber(r[1]), true
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

-- One REGISTER of a web identity: the n contacts are args[base + 1 .. base + n], each one
-- MessagePack array of REGISTER_FIELDS. Returns {index, newly (0/1), now, blob} (blob: the
-- stored MessagePack {owner, {contact...}}), or an error reply; nothing is written on error.
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
  local blob = rewrite(b, si, owner, stored, contacts)
  settle(b, si, contacts, removed > 0 or newly == 1)
  return {tonumber(si), newly, b.now, blob}
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
  local out, pos = {}, 1
  for k = 1, m do
    local n = tonumber(args[pos + 2])
    if not n or n < 1 or pos + 2 + n > #args then
      return fail('INVALID_ARGUMENT', 'request ' .. k)
    end
    out[k] = register_one(b, args[pos + 1], n, args, pos + 2)
    pos = pos + 2 + n
  end
  if pos ~= #args then
    return fail('INVALID_ARGUMENT', 'trailing arguments')
  end
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
redis.register_function{function_name = 'w4_remove_contact', callback = w4_remove_contact}
redis.register_function{function_name = 'w4_remove_all', callback = w4_remove_all}
redis.register_function{function_name = 'w4_remove_flow', callback = w4_remove_flow}
redis.register_function{function_name = 'w4_configure', callback = w4_configure}
if TEST_FUNCTIONS then
  redis.register_function{function_name = 'w4_test_advance_time', callback = w4_test_advance_time}
end
redis.register_function{function_name = 'w4_lookup', callback = w4_lookup, flags = ro}
redis.register_function{function_name = 'w4_is_registered', callback = w4_is_registered, flags = ro}
redis.register_function{function_name = 'w4_lookup_identity', callback = w4_lookup_identity, flags = ro}
redis.register_function{function_name = 'w4_usage', callback = w4_usage, flags = ro}
redis.register_function{function_name = 'w4_list', callback = w4_list, flags = ro}
redis.register_function{function_name = 'w4_version', callback = w4_version, flags = ro}
