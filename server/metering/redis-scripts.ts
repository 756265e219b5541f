/**
 * The Lua scripts of RedisCounterStore. Each runs atomically in Redis and touches the keys of one
 * account only (one hash tag, one cluster slot). Time is the caller's clock (ARGV), never Redis TIME,
 * so the injected clock rules as it does in memory.
 *
 * A sliding minute is a hash: one field per second (unix s) → units counted in it, `n` = their sum,
 * `l` = the last second the window was advanced to. Advancing to a later second drops the fields of
 * the seconds that left the window, as SlidingMinute clears its slots: the count is the 60 seconds
 * up to and including the current second.
 *
 * Decision codes: 0 allow, 1 would_throttle, 2 throttle, 3 ceiling. Windows as bits: 1 minute, 2 day, 4 month.
 */

const MINUTE_FUNCTIONS = `
-- The last call of a process that ran on this account: one process sends its calls in order on one
-- connection, so a call whose answer never came ran if and only if its number is at most this.
local function applied(key, process, seq)
  redis.call('HSET', key, process, seq)
  redis.call('PEXPIRE', key, 86400000)
end

local function advance(key, sec)
  local st = redis.call('HMGET', key, 'n', 'l')
  local n = tonumber(st[1]) or 0
  local l = tonumber(st[2]) or -1
  -- Another process's clock may be ahead: its seconds stay counted, as SlidingMinute keeps them.
  if sec <= l then return n, l end
  if l < 0 or sec - l >= 60 then
    if l >= 0 then redis.call('DEL', key) end
    n = 0
  else
    local leaving = {}
    for s = l + 1, sec do leaving[#leaving + 1] = tostring(s - 60) end
    local counts = redis.call('HMGET', key, unpack(leaving))
    local gone = {}
    for i = 1, #leaving do
      if counts[i] then
        n = n - tonumber(counts[i])
        gone[#gone + 1] = leaving[i]
      end
    end
    if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
  end
  redis.call('HSET', key, 'n', n, 'l', sec)
  redis.call('PEXPIRE', key, 120000)
  return n, sec
end

-- Units that happened at second 'at', if within the window of 'sec' (the window advanced to 'top',
-- the latest second any process advanced it to: a second older than that window would never leave it).
local function add_at(key, at, sec, top, units)
  if at > sec or at <= sec - 60 or at <= top - 60 then return end
  redis.call('HINCRBY', key, tostring(at), units)
  redis.call('HINCRBY', key, 'n', units)
end

-- Ms until at least 'needed' units have left the window (0 if needed <= 0), as SlidingMinute.msUntilFreed.
local function ms_until_freed(key, sec, now, needed)
  if needed <= 0 then return 0 end
  local fields = {}
  for s = sec - 59, sec do fields[#fields + 1] = tostring(s) end
  local counts = redis.call('HMGET', key, unpack(fields))
  local freed = 0
  for i = 1, 60 do
    if counts[i] then freed = freed + tonumber(counts[i]) end
    if freed >= needed then return (sec - 60 + i + 60) * 1000 - now end
  end
  return 60000
end

-- The day and period counts; missing ones are seeded from the given counts (SET NX semantics: only
-- if still missing) or, without them, reported as missing. The restored minute goes in at the
-- minute's first second, and only into a window that does not exist yet.
local function windows(minuteKey, dayKey, periodKey, now, sec, dayTtl, periodTtl, seedDay, seedMonth, seedMinute)
  local day = redis.call('GET', dayKey)
  local month = redis.call('GET', periodKey)
  if day and month then return tonumber(day), tonumber(month) end
  if seedDay == '' then return nil, nil end
  if not day then
    redis.call('SET', dayKey, seedDay, 'PX', dayTtl)
    day = seedDay
  end
  if not month then
    redis.call('SET', periodKey, seedMonth, 'PX', periodTtl)
    month = seedMonth
  end
  local restored = tonumber(seedMinute)
  if restored > 0 and redis.call('EXISTS', minuteKey) == 0 then
    local _, top = advance(minuteKey, sec)
    add_at(minuteKey, math.floor(now / 60000) * 60, sec, top, restored)
  end
  return tonumber(day), tonumber(month)
end
`;

/**
 * One call: KEYS = minute hash, day count, period count, the key's ceiling hash, the id's key, the
 * account's applied-calls hash.
 * ARGV = now, cost, ceiling limit, mode (0 off, 1 shadow, 2 enforce), grace ms, caps minute/day/month
 * ('' = none), notices minute/day/month ('' = none), day ttl, period ttl, id ttl, has id (1/0),
 * decision already seen ('' = none), seed day/month/minute ('' = none), the process's id, the call's
 * sequence number in that process.
 *
 * Steps: the day and period counts (or "seed me": {-1}); the id (set-if-absent: a repeated id
 * returns its first decision and counts nothing); the ceiling, then each window's cap as decide()
 * does; the counts when the call is served; the windows after the call for the answer.
 * Returns {0, decision, violated bits, refusing bits, duplicate, minute used, minute reset at,
 * day used, month used, ceiling used, ceiling reset at}.
 */
export const CHECK_SCRIPT = `${MINUTE_FUNCTIONS}
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local ceilingLimit = tonumber(ARGV[3])
local mode = tonumber(ARGV[4])
local grace = tonumber(ARGV[5])
local sec = math.floor(now / 1000)
local day, month = windows(KEYS[1], KEYS[2], KEYS[3], now, sec, ARGV[12], ARGV[13], ARGV[17], ARGV[18], ARGV[19])
if not day then return {-1} end
applied(KEYS[6], ARGV[20], ARGV[21])

local decision = -1
local duplicate = 0
if ARGV[15] == '1' then
  local first = redis.call('GET', KEYS[5])
  if first then
    decision = tonumber(first)
    duplicate = 1
  elseif ARGV[16] ~= '' then
    decision = tonumber(ARGV[16])
    duplicate = 1
    redis.call('SET', KEYS[5], ARGV[16], 'PX', ARGV[14])
  end
end

local minute, minuteTop = advance(KEYS[1], sec)
local ceiling, ceilingTop = advance(KEYS[4], sec)
local violated = 0
local refusing = 0
if decision < 0 then
  if ceiling + cost > ceilingLimit then
    decision = 3
  else
    local used = {minute, day, month}
    local bit = 1
    for i = 1, 3 do
      local cap = ARGV[5 + i]
      if cap ~= '' and used[i] + cost > tonumber(cap) then violated = violated + bit end
      bit = bit * 2
    end
    if violated == 0 or mode == 0 then
      decision = 0
    elseif mode == 1 then
      decision = 1
    else
      bit = 1
      for i = 1, 3 do
        local notice = ARGV[8 + i]
        if violated % (bit * 2) >= bit and notice ~= '' and now >= tonumber(notice) + grace then refusing = refusing + bit end
        bit = bit * 2
      end
      if refusing > 0 then decision = 2 else decision = 1 end
    end
  end
  if decision <= 1 then
    if sec > minuteTop - 60 then
      add_at(KEYS[1], sec, sec, minuteTop, cost)
      minute = minute + cost
    end
    if sec > ceilingTop - 60 then
      add_at(KEYS[4], sec, sec, ceilingTop, cost)
      ceiling = ceiling + cost
    end
    day = redis.call('INCRBY', KEYS[2], cost)
    month = redis.call('INCRBY', KEYS[3], cost)
  end
  if ARGV[15] == '1' then redis.call('SET', KEYS[5], decision, 'PX', ARGV[14]) end
end

-- The answer: when each sliding window has room for the next call (after a refusal, a call of its
-- own cost when it can fit at all), as windowsOf computes it.
local nextCost = cost
if decision <= 1 then nextCost = 1 end
local minuteReset = math.floor(now / 60000) * 60000 + 60000
local minuteCap = ARGV[6]
if minuteCap ~= '' then
  local cap = tonumber(minuteCap)
  local fitting = nextCost
  if nextCost > cap then fitting = 1 end
  local short = minute + fitting - cap
  if short > 0 then minuteReset = now + ms_until_freed(KEYS[1], sec, now, short) end
end
local fittingCeiling = nextCost
if nextCost > ceilingLimit then fittingCeiling = 1 end
local ceilingReset = now + ms_until_freed(KEYS[4], sec, now, ceiling + fittingCeiling - ceilingLimit)
return {0, decision, violated, refusing, duplicate, minute, minuteReset, day, month, ceiling, ceilingReset}
`;

/**
 * A batch of events of one account on one meter: KEYS = minute hash, day count, period count, the
 * account's applied-calls hash, then one id key per event. ARGV = now, mode (0 off, 1 shadow), caps
 * day/month ('' = none), day start, month window start, day ttl, period ttl, id ttl, seed
 * day/month/minute ('' = none), the process's id and the batch's sequence number, then per event
 * its cost and timestamp (ms). Each event is decided as countEvents does: served already, shadow at
 * most, no ceiling; counted in the day and month windows it falls in and in the minute if recent.
 * Returns {-1} (seed me) or {0, day used, month used, then per event its decision or -1 for an id counted before}.
 */
export const EVENTS_SCRIPT = `${MINUTE_FUNCTIONS}
local now = tonumber(ARGV[1])
local mode = tonumber(ARGV[2])
local capDay = ARGV[3]
local capMonth = ARGV[4]
local dayStart = tonumber(ARGV[5])
local monthFrom = tonumber(ARGV[6])
local sec = math.floor(now / 1000)
local day, month = windows(KEYS[1], KEYS[2], KEYS[3], now, sec, ARGV[7], ARGV[8], ARGV[10], ARGV[11], ARGV[12])
if not day then return {-1} end
applied(KEYS[4], ARGV[13], ARGV[14])
local _, top = advance(KEYS[1], sec)
local out = {0, 0, 0}
local addDay, addMonth = 0, 0
for i = 1, #KEYS - 4 do
  local cost = tonumber(ARGV[13 + 2 * i])
  local at = tonumber(ARGV[14 + 2 * i])
  if redis.call('SET', KEYS[4 + i], 0, 'PX', ARGV[9], 'NX') then
    local inDay = at >= dayStart
    local inMonth = at >= monthFrom
    local over = false
    if inDay and capDay ~= '' and day + cost > tonumber(capDay) then over = true end
    if inMonth and capMonth ~= '' and month + cost > tonumber(capMonth) then over = true end
    local decision = 0
    if over and mode == 1 then decision = 1 end
    if decision ~= 0 then redis.call('SET', KEYS[4 + i], decision, 'PX', ARGV[9]) end
    if inDay then
      day = day + cost
      addDay = addDay + cost
    end
    if inMonth then
      month = month + cost
      addMonth = addMonth + cost
    end
    add_at(KEYS[1], math.floor(at / 1000), sec, top, cost)
    out[#out + 1] = decision
  else
    out[#out + 1] = -1
  end
end
if addDay > 0 then redis.call('INCRBY', KEYS[2], addDay) end
if addMonth > 0 then redis.call('INCRBY', KEYS[3], addMonth) end
out[2] = day
out[3] = month
return out
`;

/**
 * What a process counted while Redis was unreachable, added back for one account: KEYS = the day
 * and period counts, then the ids. ARGV = how many counts, each count's increment, the ids' ttl,
 * each id's decision. A count that no longer exists is not created: its next call seeds it from the
 * rollups, which hold these calls once they are flushed. An id is set only if absent.
 */
export const RECONCILE_SCRIPT = `
local counts = tonumber(ARGV[1])
for i = 1, counts do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], ARGV[1 + i]) end
end
local ttl = ARGV[counts + 2]
for i = counts + 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 2], 'PX', ttl, 'NX')
end
return #KEYS
`;
