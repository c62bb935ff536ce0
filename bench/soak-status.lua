-- bench/soak-status.lua: counts every answer wrk gets, for bench/soak.
--
-- wrk itself only counts replies outside 2xx/3xx, so this hook sorts every
-- reply: 302 to a session URL (SOAK_SESSION_PREFIX), 302 to the fallback
-- (a Location ending in SOAK_FALLBACK_PATH, absolute or not), any other 302,
-- and any other status.  It also counts the X-Soak-Worker header (nginx's
-- $pid, set by the soak configuration) and the distinct session URLs (each
-- one must be handed out once).  done() writes "key value" lines to the
-- file named by SOAK_COUNTS.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   prefix   = os.getenv("SOAK_SESSION_PREFIX")
              or "https://cancel.example.com/session/"
   fallback_path = os.getenv("SOAK_FALLBACK_PATH") or "/fallback"
   n, session, fallback, other302, non302 = 0, 0, 0, 0, 0
   statuses = {}       -- other statuses: "500" -> count
   workers  = {}       -- X-Soak-Worker -> count
   examples = {}       -- a few unexpected answers
   seen     = {}       -- session URL -> true
   dups     = 0
end

local function example(s)
   if #examples < 5 then table.insert(examples, s) end
end

function response(status, headers, body)
   n = n + 1
   local w = headers["X-Soak-Worker"] or "none"
   workers[w] = (workers[w] or 0) + 1
   if status == 302 then
      local loc = headers["Location"] or ""
      if loc:sub(1, #prefix) == prefix and not loc:find("[%s%c]") then
         session = session + 1
         if seen[loc] then dups = dups + 1 else seen[loc] = true end
      elseif loc == fallback_path
          or (loc:sub(-#fallback_path) == fallback_path
              and loc:sub(1, #loc - #fallback_path):match("^https?://[^/]+$"))
      then
         fallback = fallback + 1
      else
         other302 = other302 + 1
         example("302 Location: " .. loc)
      end
   else
      non302 = non302 + 1
      local k = tostring(status)
      statuses[k] = (statuses[k] or 0) + 1
      example(k .. " " .. string.sub(body or "", 1, 80))
   end
end

function done(summary, latency, requests)
   local t = { responses = 0, session = 0, fallback = 0, other302 = 0,
               non302 = 0, dup_session_urls = 0 }
   local st, wk, ex, all = {}, {}, {}, {}
   local distinct = 0
   for _, th in ipairs(threads) do
      t.responses = t.responses + th:get("n")
      t.session   = t.session   + th:get("session")
      t.fallback  = t.fallback  + th:get("fallback")
      t.other302  = t.other302  + th:get("other302")
      t.non302    = t.non302    + th:get("non302")
      t.dup_session_urls = t.dup_session_urls + th:get("dups")
      for k, v in pairs(th:get("statuses")) do st[k] = (st[k] or 0) + v end
      for k, v in pairs(th:get("workers"))  do wk[k] = (wk[k] or 0) + v end
      for _, v in ipairs(th:get("examples")) do table.insert(ex, v) end
      for k, _ in pairs(th:get("seen")) do
         if all[k] then
            t.dup_session_urls = t.dup_session_urls + 1
         else
            all[k] = true
            distinct = distinct + 1
         end
      end
   end

   local out = io.open(os.getenv("SOAK_COUNTS") or "soak-counts.txt", "w")
   for _, k in ipairs({ "responses", "session", "fallback", "other302",
                        "non302", "dup_session_urls" }) do
      out:write(k, " ", t[k], "\n")
   end
   out:write("distinct_session_urls ", distinct, "\n")
   out:write("wrk_requests ", summary.requests, "\n")
   out:write("wrk_duration_us ", summary.duration, "\n")
   for _, k in ipairs({ "connect", "read", "write", "status", "timeout" }) do
      out:write("errors_", k, " ", summary.errors[k], "\n")
   end
   for k, v in pairs(st) do out:write("status_", k, " ", v, "\n") end
   for k, v in pairs(wk) do out:write("worker_", k, " ", v, "\n") end
   for _, v in ipairs(ex) do
      out:write("example ", (v:gsub("[%c]", "?")), "\n")
   end
   out:close()
end
