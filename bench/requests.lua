-- Replays one scenario's requests for wrk, in file order, round and round (see bench/load.py).
--
--   wrk -t 1 -c 32 -d 10s -s bench/requests.lua http://127.0.0.1:PORT -- FILE RUN FIRST [MAX]
--
-- FILE holds one request a line: method, path, bearer token and body (empty for none),
-- separated by tabs. In a body, $run becomes RUN (a tag unique to this wrk run) and $n the
-- request's sequence number in the run, so every title change really changes the title, even
-- of a task an earlier run renamed; $toggle becomes true on even passes through the file
-- and false on odd ones, so every completion really flips its task (each task appears once
-- in a file). FIRST is how many requests earlier runs of the file sent: the run carries on
-- where they stopped, so its first toggles flip what they left (but for the few requests in
-- flight when a run ended, which the server may or may not have served). Run one thread:
-- every thread replays the whole file.
-- With MAX the thread stops after that many responses (the memory check) and prints
-- "BENCH_STOPPED": wrk itself sleeps out its --duration, so bench/load.py then interrupts it.
-- done() prints one line, "BENCH_RESULT {...}", with counts and latency percentiles.

local entries = {}
local run_tag = ""
local max_responses = nil
local threads = {}

-- Globals, so that done() can read them from each thread with thread:get().
responses = 0
non_2xx = 0
sent = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path, token, body = line:match("^(%u+)\t([^\t]+)\t([^\t]+)\t(.*)$")
    if not method then
      error("not a request line: " .. line)
    end
    local headers = { ["Authorization"] = "Bearer " .. token }
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    local entry = { method = method, path = path, headers = headers, body = body }
    if body == nil or not body:find("$", 1, true) then
      entry.formatted = wrk.format(method, path, headers, body)
    end
    table.insert(entries, entry)
  end
  if #entries == 0 then
    error("no requests in " .. args[1])
  end
  run_tag = args[2] or ""
  sent = tonumber(args[3]) or 0
  max_responses = tonumber(args[4])
end

function request()
  local entry = entries[sent % #entries + 1]
  local pass = math.floor(sent / #entries)
  sent = sent + 1
  if entry.formatted then
    return entry.formatted
  end
  local body = entry.body:gsub("%$run", run_tag):gsub("%$n", tostring(sent))
  body = body:gsub("%$toggle", pass % 2 == 0 and "true" or "false")
  return wrk.format(entry.method, entry.path, entry.headers, body)
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
  if responses == max_responses then
    wrk.thread:stop()
    io.write("BENCH_STOPPED\n")
    io.flush()
  end
end

function done(summary, latency, requests)
  local total_non_2xx = 0
  local last_sent = 0
  for _, thread in ipairs(threads) do
    total_non_2xx = total_non_2xx + thread:get("non_2xx")
    last_sent = math.max(last_sent, thread:get("sent"))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "sent": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, '
      .. '"timeouts": %d, "latency_us": {"mean": %.1f, "p50": %.0f, "p95": %.0f, '
      .. '"p99": %.0f, "max": %.0f}}\n',
    summary.requests, last_sent, summary.duration, total_non_2xx,
    errors.connect + errors.read + errors.write, errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max
  ))
end
