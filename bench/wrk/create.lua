-- POST /api/v1/transactions/ with a unique transaction_id and reference per request.
-- Arguments: <token or "-"> <run id (digits)> <payment date YYYY-MM-DD>
package.path = package.path .. ";" .. (debug.getinfo(1, "S").source:match("@?(.*/)") or "./") .. "?.lua"
require("common")

local prefixes = { "0412", "0414", "0416", "0424", "0426" }
local banks = { "0102", "0105", "0108", "0114", "0134", "0172", "0191" }
local names = { "María Pérez", "José Rodríguez", "Ana Núñez", "Luis González", "Carmen Díaz", "Pedro Ramírez" }

function init(args)
  bench_init(args)
  payment_date = args[3]
end

request = function()
  seq = seq + 1
  local n = string.format("%s%02d%07d", run_id, tid, seq)
  local body = string.format(
    '{"transaction_id": "wrk-%s", "bank": "MOBILE_TRANSFER", "reference": "%s", "amount": "%d.%02d", ' ..
    '"payment_date": "%s", "payer_bank_code": "%s", "customer": {"full_name": "%s", ' ..
    '"phone": "%s%07d", "national_id": "V%d", "concept": "Consulta"}, "metadata": {"bench": true}}',
    n, n, math.random(10, 50000), math.random(0, 99), payment_date, banks[math.random(#banks)], names[math.random(#names)],
    prefixes[math.random(#prefixes)], math.random(0, 9999999), math.random(1000000, 30000000))
  return wrk.format("POST", "/api/v1/transactions/", headers, body)
end
