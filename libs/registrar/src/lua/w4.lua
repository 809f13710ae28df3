#!lua name=w4
--
-- W4, the wIMPU Registrar protocol, as a Redis Functions library (Redis >= 7.0).
-- docs/w4.md is the contract; this file is the implementation, embedded in the C++ client at
-- build time and loaded with FUNCTION LOAD REPLACE on every (re)connect.
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
--   P:cfg      HASH   kind range|list, first, size, width, plus 0|1, domains a,b, sip 0|1,
--                     tel 0|1, quarantine_ms, max_contacts, epcscf, wildcard, next (number of
--                     IMPU indices ever allocated), [time_offset_ms: test hook, never in production]
--   P:names    HASH   list blocks only: "#<index>" -> canonical IMPU, canonical IMPU -> index
--   P:id       HASH   web identity key -> index
--   P:own      HASH   index -> web identity key
--   P:rel      ZSET   index scored by free_at (ms): registered iff free_at > now + quarantine,
--                     quarantined iff now < free_at <= now + quarantine, free iff free_at <= now
--   P:b:<i>    STRING MessagePack array of the contacts of index i, PXAT = latest expiry
--   P:f:<flow> SET    indices with a contact on that flow, PXAT >= latest expiry on it

local VERSION = '1'

-- Stored contact fields (array positions).
local URI, PARAMS, INST, REG, CALLID, CSEQ, EXP, FLOW, EPCSCF, PATH, UA, REGAT, UPDAT =
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
local REGISTER_FIELDS = 11  -- per contact in w4_register's arguments

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
  if string.sub(cfgkey, -4) ~= ':cfg' then
    return nil
  end
  return string.sub(cfgkey, 1, -5)
end

local function load_cfg(cfgkey)
  local v = redis.call('HMGET', cfgkey, 'kind', 'first', 'size', 'width', 'plus', 'domains', 'sip',
                       'tel', 'quarantine_ms', 'max_contacts', 'next', 'time_offset_ms')
  if not v[1] then
    return nil
  end
  return {
    kind = v[1], first = tonumber(v[2]), size = tonumber(v[3]), width = tonumber(v[4]),
    plus = v[5] == '1', domains = v[6] or '', sip = v[7] == '1', tel = v[8] == '1',
    q = tonumber(v[9]), max = tonumber(v[10]), next = tonumber(v[11]) or 0,
    toff = tonumber(v[12]) or 0,
  }
end

-- Every function starts here: the block's tag, config and the current time.
local function open(keys)
  local tag = keys[1] and tag_of(keys[1])
  if not tag then
    return nil, fail('INVALID_ARGUMENT', 'KEYS[1] must be {blk:<id>}:cfg')
  end
  local cfg = load_cfg(keys[1])
  if not cfg then
    return nil, fail('UNKNOWN_BLOCK')
  end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + cfg.toff
  return {tag = tag, cfg = cfg, now = now}
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
  if host then
    local ok = false
    for d in string.gmatch(cfg.domains, '[^,]+') do
      if d == host then
        ok = true
        break
      end
    end
    if not ok then
      return nil
    end
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
  local num = string.format('%0' .. cfg.width .. 'd', cfg.first + i)
  if cfg.plus then
    num = '+' .. num
  end
  if cfg.sip then
    return 'sip:' .. num .. '@' .. string.match(cfg.domains, '^[^,]+')
  end
  return 'tel:' .. num
end

local function live_contacts(b, i)
  local blob = redis.call('GET', b.tag .. ':b:' .. i)
  local out = {}
  if blob then
    for _, c in ipairs(cmsgpack.unpack(blob)) do
      if c[EXP] > b.now then
        out[#out + 1] = c
      end
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

-- Writes index i's contacts (all live) and keeps its free_at (see the layout above).
local function store(b, i, contacts, released_or_new)
  local bkey = b.tag .. ':b:' .. i
  local free_at
  if #contacts > 0 then
    local latest = contacts[1][EXP]
    for _, c in ipairs(contacts) do
      if c[EXP] > latest then
        latest = c[EXP]
      end
    end
    redis.call('SET', bkey, cmsgpack.pack(contacts), 'PXAT', latest)
    free_at = latest + b.cfg.q
  else
    redis.call('DEL', bkey)
    if released_or_new then
      free_at = b.now + b.cfg.q
    end
  end
  if free_at then
    redis.call('ZADD', b.tag .. ':rel', free_at, i)
  end
end

local function flow_ref(b, flow, i, expires_at)
  local fkey = b.tag .. ':f:' .. flow
  redis.call('SADD', fkey, i)
  if redis.call('PEXPIRETIME', fkey) < expires_at then
    redis.call('PEXPIREAT', fkey, expires_at)
  end
end

-- Never-used indices first, then one whose quarantine is over.
local function pick_free(b)
  local cfg = b.cfg
  if cfg.next < cfg.size then
    redis.call('HINCRBY', b.tag .. ':cfg', 'next', 1)
    return cfg.next
  end
  local r = redis.call('ZRANGEBYSCORE', b.tag .. ':rel', '-inf', string.format('%d', b.now),
                       'LIMIT', 0, 1)
  if #r == 0 then
    return nil
  end
  return tonumber(r[1])
end

local function take_over(b, i, ident)
  local old = redis.call('HGET', b.tag .. ':own', i)
  if old then
    redis.call('HDEL', b.tag .. ':id', old)
  end
  redis.call('HSET', b.tag .. ':own', i, ident)
  redis.call('HSET', b.tag .. ':id', ident, i)
end

-- Reply form of a contact (14 fields, docs/w4.md).
local function contact_reply(b, c)
  return {c[URI], c[PARAMS], c[INST], c[REG], c[CALLID], c[CSEQ], c[EXP],
          math.ceil((c[EXP] - b.now) / 1000), c[FLOW], c[EPCSCF], c[PATH], c[UA], c[REGAT], c[UPDAT]}
end

-- Reply form of a binding: impu, state, owner, now, contacts...
local function binding_reply(b, i)
  local free_at = free_at_of(b, i)
  local state = state_of(b, free_at)
  local owner = ''
  if state ~= 'free' then
    owner = redis.call('HGET', b.tag .. ':own', i) or ''
  end
  local out = {render(b, i), state, owner, b.now}
  for _, c in ipairs(live_contacts(b, i)) do
    out[#out + 1] = contact_reply(b, c)
  end
  return out
end

local function w4_register(keys, args)
  local b, err = open(keys)
  if not b then
    return err
  end
  local ident, n = args[1], tonumber(args[2])
  if not ident or ident == '' or not n or n < 1 or #args ~= 2 + n * REGISTER_FIELDS then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  local ups, adds = {}, false
  for k = 0, n - 1 do
    local a = 2 + k * REGISTER_FIELDS
    local u = {
      expires = tonumber(args[a + 1]), uri = args[a + 2], params = args[a + 3],
      instance = args[a + 4], reg_id = tonumber(args[a + 5]), call_id = args[a + 6],
      cseq = tonumber(args[a + 7]), flow = args[a + 8], epcscf = args[a + 9],
      path = args[a + 10], ua = args[a + 11],
    }
    if not u.expires or not u.reg_id or not u.cseq or u.uri == '' or u.call_id == '' then
      return fail('INVALID_ARGUMENT', 'contact ' .. (k + 1))
    end
    adds = adds or u.expires > 0
    ups[#ups + 1] = u
  end

  local i = redis.call('HGET', b.tag .. ':id', ident)
  i = i and tonumber(i) or nil
  if not i and not adds then
    return fail('NOT_FOUND')
  end
  local contacts = i and live_contacts(b, i) or {}

  -- RFC 3261 §10.3 step 7, against the stored state, before anything is written.
  for _, c in ipairs(contacts) do
    for _, u in ipairs(ups) do
      if same_key(c, u.uri, u.instance, u.reg_id) and c[CALLID] == u.call_id and u.cseq <= c[CSEQ] then
        return fail('OUT_OF_ORDER', 'CSeq ' .. u.cseq .. ' <= ' .. c[CSEQ])
      end
    end
  end
  -- The key set after the request, for max_contacts.
  local keyset = {}
  for _, c in ipairs(contacts) do
    keyset[#keyset + 1] = c
  end
  for _, u in ipairs(ups) do
    local found
    for j, c in ipairs(keyset) do
      if same_key(c, u.uri, u.instance, u.reg_id) then
        found = j
        break
      end
    end
    if u.expires == 0 then
      if found then
        table.remove(keyset, found)
      end
    elseif not found then
      keyset[#keyset + 1] = {[URI] = u.uri, [INST] = u.instance, [REG] = u.reg_id}
    end
  end
  if #keyset > b.cfg.max then
    return fail('TOO_MANY_CONTACTS')
  end

  local newly = 0
  if not i then
    i = pick_free(b)
    if not i then
      return fail('POOL_EXHAUSTED')
    end
    take_over(b, i, ident)
    newly = 1
    contacts = {}  -- whatever the previous owner left has expired
  end

  local removed = 0
  for _, u in ipairs(ups) do
    local pos
    for j, c in ipairs(contacts) do
      if same_key(c, u.uri, u.instance, u.reg_id) then
        pos = j
        break
      end
    end
    if u.expires == 0 then
      if pos then
        table.remove(contacts, pos)
        removed = removed + 1
      end
    else
      local expires_at = b.now + u.expires * 1000
      local c = {u.uri, u.params, u.instance, u.reg_id, u.call_id, u.cseq, expires_at, u.flow,
                 u.epcscf, u.path, u.ua, pos and contacts[pos][REGAT] or b.now, b.now}
      if pos then
        contacts[pos] = c  -- RFC 5626 §6: a re-registration moves the binding to the new flow
      else
        contacts[#contacts + 1] = c
      end
      if u.flow ~= '' then
        flow_ref(b, u.flow, i, expires_at)
      end
    end
  end
  store(b, i, contacts, removed > 0 or newly == 1)

  local out = {render(b, i), newly, b.now}
  for _, c in ipairs(contacts) do
    out[#out + 1] = contact_reply(b, c)
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
  local contacts = live_contacts(b, i)
  for j, c in ipairs(contacts) do
    if same_key(c, args[2], args[3], reg_id) then
      table.remove(contacts, j)
      store(b, i, contacts, true)
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
  local contacts = live_contacts(b, i)
  for _, c in ipairs(contacts) do
    if args[2] and c[CALLID] == args[2] and c[CSEQ] >= guard_cseq then
      return fail('OUT_OF_ORDER', 'CSeq ' .. guard_cseq .. ' <= ' .. c[CSEQ])
    end
  end
  if #contacts == 0 then
    return {0, 0, 0}
  end
  store(b, i, {}, true)
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
    local keep, removed = {}, 0
    for _, c in ipairs(live_contacts(b, i)) do
      if c[FLOW] == flow then
        removed = removed + 1
      else
        keep[#keep + 1] = c
      end
    end
    if removed > 0 then
      store(b, i, keep, true)
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
  return binding_reply(b, i)
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
  return binding_reply(b, i)
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
  local out = {}
  for i = cursor, math.min(cursor + limit, b.cfg.next) - 1 do
    if state_of(b, free_at_of(b, i)) ~= 'free' then
      out[#out + 1] = binding_reply(b, i)
    end
  end
  return {cursor + limit < b.cfg.next and cursor + limit or 0, out}
end

-- Creates the block, or checks that the stored layout is the configured one (IMPU indices
-- must keep their meaning) and updates the settings that may change.
-- ARGV: kind first size width plus domains sip tel quarantine_ms max_contacts epcscf wildcard
--       [list: canonical IMPUs in index order]
local function w4_configure(keys, args)
  local tag = keys[1] and tag_of(keys[1])
  if not tag or #args < 12 then
    return fail('INVALID_ARGUMENT', 'arguments')
  end
  local cfgkey = keys[1]
  local cur = redis.call('HMGET', cfgkey, 'kind', 'first', 'size', 'width', 'plus')
  if cur[1] then
    for k = 1, 5 do
      if cur[k] ~= args[k] then
        return fail('CONFIG_MISMATCH', 'stored layout differs from the configuration')
      end
    end
    for k = 13, #args do
      if redis.call('HGET', tag .. ':names', '#' .. (k - 13)) ~= args[k] then
        return fail('CONFIG_MISMATCH', 'stored IMPU list differs from the configuration')
      end
    end
  else
    redis.call('HSET', cfgkey, 'kind', args[1], 'first', args[2], 'size', args[3], 'width',
               args[4], 'plus', args[5], 'next', 0)
    for k = 13, #args do
      redis.call('HSET', tag .. ':names', '#' .. (k - 13), args[k], args[k], k - 13)
    end
  end
  redis.call('HSET', cfgkey, 'domains', args[6], 'sip', args[7], 'tel', args[8], 'quarantine_ms',
             args[9], 'max_contacts', args[10], 'epcscf', args[11], 'wildcard', args[12],
             'version', VERSION)
  return 'OK'
end

local function w4_version()
  return VERSION
end

local ro = {'no-writes'}
redis.register_function{function_name = 'w4_register', callback = w4_register}
redis.register_function{function_name = 'w4_remove_contact', callback = w4_remove_contact}
redis.register_function{function_name = 'w4_remove_all', callback = w4_remove_all}
redis.register_function{function_name = 'w4_remove_flow', callback = w4_remove_flow}
redis.register_function{function_name = 'w4_configure', callback = w4_configure}
redis.register_function{function_name = 'w4_lookup', callback = w4_lookup, flags = ro}
redis.register_function{function_name = 'w4_is_registered', callback = w4_is_registered, flags = ro}
redis.register_function{function_name = 'w4_lookup_identity', callback = w4_lookup_identity, flags = ro}
redis.register_function{function_name = 'w4_usage', callback = w4_usage, flags = ro}
redis.register_function{function_name = 'w4_list', callback = w4_list, flags = ro}
redis.register_function{function_name = 'w4_version', callback = w4_version, flags = ro}
