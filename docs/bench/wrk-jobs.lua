-- wrk script for docs/benchmarks.md, issue 5 (b): every request posts a new row of the jobs table, as a Supabase
-- database webhook would, authenticated with the shared secret of `MatchingBench serve` (bench-webhook-secret).
--   wrk -t1 -c32 -d12s --latency -s docs/bench/wrk-jobs.lua http://127.0.0.1:18095/api/webhooks/jobs/notify
local counter = 0
local thread_count = 0
local run = tostring(os.time())

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer bench-webhook-secret"
wrk.headers["Content-Type"] = "application/json"

function request()
  counter = counter + 1
  local id = "wrk-" .. run .. "-" .. tid .. "-" .. counter
  local body = '{"type":"INSERT","table":"jobs","schema":"public","record":{"id":"' .. id ..
    '","title":"Engineer","company_name":"Acme","required_skills":["java","akka"],' ..
    '"experience_level":"senior","location":"Paris","remote":false},"old_record":null}'
  return wrk.format(nil, nil, nil, body)
end

-- Anything but a 202 counts as an error here: wrk reports non-2xx/3xx answers and socket errors.
function done(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d; errors: connect %d, read %d, write %d, timeout %d\n",
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
