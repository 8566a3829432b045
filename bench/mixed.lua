-- Many distinct users at once: about 80 % reads (anonymous and signed-in lists, the feed, articles, comments,
-- profiles, tags), 15 % favorites, unfavorites and follows, 5 % new articles and comments.
-- Environment: TOKENS (user i's token on line i), SLUGS (articles to read), USERS (how many users there are).
local tokens, slugs = {}, {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
for line in io.lines(os.getenv("SLUGS")) do slugs[#slugs + 1] = line end
local users = tonumber(os.getenv("USERS"))
local n = 0

function setup(thread)
  thread:set("seed", math.random(1e9))
end

function init()
  math.randomseed(seed)
end

local function signed(user)
  return {["authorization"] = "Token " .. tokens[user], ["content-type"] = "application/json"}
end

request = function()
  n = n + 1
  local r = math.random(100)
  local user = math.random(#tokens)
  local slug = "/api/articles/" .. slugs[math.random(#slugs)]
  if r <= 25 then return wrk.format("GET", "/api/articles?limit=20&offset=" .. 20 * math.random(0, 4))
  elseif r <= 40 then return wrk.format("GET", "/api/articles?limit=20", signed(user))
  elseif r <= 50 then return wrk.format("GET", "/api/articles/feed?limit=20", signed(user))
  elseif r <= 62 then return wrk.format("GET", slug)
  elseif r <= 68 then return wrk.format("GET", slug, signed(user))
  elseif r <= 72 then return wrk.format("GET", slug .. "/comments")
  elseif r <= 76 then return wrk.format("GET", "/api/profiles/user" .. math.random(users), signed(user))
  elseif r <= 80 then return wrk.format("GET", "/api/tags")
  elseif r <= 87 then return wrk.format("POST", slug .. "/favorite", signed(user))
  elseif r <= 92 then return wrk.format("DELETE", slug .. "/favorite", signed(user))
  elseif r <= 95 then
    -- Anyone but oneself (following oneself is refused).
    local other = (user + math.random(users - 1) - 1) % users + 1
    return wrk.format("POST", "/api/profiles/user" .. other .. "/follow", signed(user))
  elseif r <= 97 then
    local body = '{"article":{"title":"Mixed ' .. seed .. ' ' .. n .. '","description":"d","body":"b","tagList":["mixed"]}}'
    return wrk.format("POST", "/api/articles", signed(user), body)
  else
    return wrk.format("POST", slug .. "/comments", signed(user), '{"comment":{"body":"A comment from the bench"}}')
  end
end
