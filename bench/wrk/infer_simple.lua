-- wrk script: POSTs one fixed KServe v2 infer request for the `simple` model.
--
--   wrk -t2 -c64 -d10s --latency -s bench/wrk/infer_simple.lua \
--       http://127.0.0.1:8000/v2/models/simple/infer
--
-- Expected answer: OUTPUT0 = INPUT0 + INPUT1 = 1..16, OUTPUT1 = -1..14.
-- After the run, done() prints one machine-readable line for
-- bench/wrk/compare_simple.sh:
--   WRK_RESULT requests=N rps=R p50_ms=A p99_ms=B errors=E
-- where errors counts connect, read, write and timeout errors plus non-2xx/3xx
-- statuses.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs":['
  .. '{"name":"INPUT0","datatype":"INT32","shape":[1,16],'
  .. '"data":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},'
  .. '{"name":"INPUT1","datatype":"INT32","shape":[1,16],'
  .. '"data":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}'

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    "WRK_RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
