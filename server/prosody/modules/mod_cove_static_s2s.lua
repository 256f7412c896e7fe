-- mod_cove_static_s2s: outgoing s2s connections to a fixed address per remote domain, with no DNS look-up.
--   cove_static_s2s = { ["b.test"] = { "127.0.0.3", 5269 } }
--   cove_static_s2s_only = true  -- refuse (bounce) s2s to any other domain instead of asking DNS
-- mod_s2s asks net.resolvers.service for "xmpp-server" (and "xmpps-server" for Direct TLS) targets at connect time;
-- this wraps that constructor and answers with a plain address resolver for the listed domains.
module:set_global();
local service = require "net.resolvers.service";
local basic = require "net.resolvers.basic";
local manual = require "net.resolvers.manual";

local routes = module:get_option("cove_static_s2s", {});
local routes_only = module:get_option_boolean("cove_static_s2s_only", false);
local original_new = service.new;

service.new = function (hostname, srv_name, conn_type, extra)
	if srv_name ~= "xmpp-server" and srv_name ~= "xmpps-server" then
		return original_new(hostname, srv_name, conn_type, extra);
	end
	local route = routes[hostname];
	if route and srv_name == "xmpp-server" then
		return basic.new(route[1], route[2], conn_type, extra); -- an IP address needs no look-up
	elseif route or routes_only then
		return manual.new({}, conn_type, extra); -- no target: no Direct TLS for routed domains, nothing for others
	end
	return original_new(hostname, srv_name, conn_type, extra);
end

function module.unload()
	service.new = original_new;
end
