-- wrk script for bench/run.sh: each request is picked at random from weighted groups of
-- prepared requests, so a run rotates over many real URLs instead of repeating one (which
-- flatters every cache). Each thread has a fixed seed, so runs pick the same sequence.
--   BENCH_MIX     "50:/tmp/x/products,25:/tmp/x/listings": weight:file, comma separated;
--                 a file holds one request a line, tab separated: METHOD, target, then for
--                 a POST its form body and Cookie header
--   BENCH_ORIGIN  the store's origin, sent as Origin on posts (the cross-site check)
-- done() prints one "BENCH key=value …" line for run.sh, with the responses counted per
-- status by the response hook (wrk's own error count calls 3xx a success).

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

local groups = {}
local total_weight = 0
statuses = {}

local function prepared(line, origin)
  local method, target, body, cookie = line:match("^(%u+)\t([^\t]+)\t?([^\t]*)\t?(.*)$")
  if not method then
    return nil
  end
  if method == "GET" then
    return wrk.format("GET", target, { ["Accept-Encoding"] = "br, gzip" })
  end
  -- What the product page's add-to-cart island sends: a server-function post from this site.
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Origin"] = origin,
    ["Sec-Fetch-Site"] = "same-origin",
  }
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  return wrk.format(method, target, headers, body)
end

function init(args)
  math.randomseed(1000 + id)
  local origin = os.getenv("BENCH_ORIGIN") or ""
  for spec in string.gmatch(os.getenv("BENCH_MIX") or "", "[^,]+") do
    local weight, path = spec:match("^(%d+):(.+)$")
    local requests = {}
    for line in io.lines(path) do
      local request = prepared(line, origin)
      if request then
        table.insert(requests, request)
      end
    end
    if #requests > 0 and tonumber(weight) > 0 then
      total_weight = total_weight + tonumber(weight)
      table.insert(groups, { upto = total_weight, requests = requests })
    end
  end
  if total_weight == 0 then
    error("BENCH_MIX names no requests")
  end
end

function request()
  local pick = math.random(total_weight)
  for _, group in ipairs(groups) do
    if pick <= group.upto then
      return group.requests[math.random(#group.requests)]
    end
  end
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local codes = {}
  for status, count in pairs(merged) do
    table.insert(codes, status .. ":" .. count)
  end
  table.sort(codes)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d timeouts=%d connect=%d read=%d write=%d statuses=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.timeout, e.connect, e.read, e.write, table.concat(codes, ",")))
end
