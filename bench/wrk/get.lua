-- GET a random path (query string included) from a file, one path per line.
-- Arguments: <token or "-"> <run id> <paths file>
package.path = package.path .. ";" .. (debug.getinfo(1, "S").source:match("@?(.*/)") or "./") .. "?.lua"
require("common")

function init(args)
  bench_init(args)
  paths = {}
  for line in io.lines(args[3]) do
    if #line > 0 then table.insert(paths, line) end
  end
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
