-- wrk script: POST one body, each request with its own JWT (the service refuses a replayed
-- jti), and report the latency percentiles as one JSON line.
--   wrk -t1 -cN -dS -s bench/post.lua URL -- PATH BODY_FILE TOKENS_FILE OFFSET THREADS
local threads_started = 0

function setup(thread)
  thread:set("thread_index", threads_started)
  threads_started = threads_started + 1
end

local function read_file(path)
  local handle = assert(io.open(path, "rb"))
  local content = handle:read("*a")
  handle:close()
  return content
end

function init(args)
  path = args[1]
  body = read_file(args[2])
  tokens = {}
  if args[3] ~= "-" then
    for line in io.lines(args[3]) do tokens[#tokens + 1] = line end
  end
  next_token = tonumber(args[4]) + 1 + thread_index
  step = tonumber(args[5])
end

function request()
  local headers = {["Content-Type"] = "application/json"}
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. (tokens[next_token] or "exhausted")
    next_token = next_token + step
  end
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
