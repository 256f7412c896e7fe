-- Cove's Prosody configuration: a hardened single-domain XMPP server (Prosody 0.12).
--
-- This one file serves two purposes:
--   * a starting point for anyone who self-hosts a server for Cove users, and
--   * the servers of Cove's test rig (test/rig/prosody.ts), which run THIS file unchanged.
--
-- Every per-instance value is read from an environment variable below. An operator who prefers a plain file can
-- instead edit the right-hand side of the `defaults` table and leave the environment alone.
--
-- Start it in the foreground (systemd, or the rig) with:
--     prosody --config /path/to/cove.cfg.lua -F
-- Check the installation with `prosodyctl about` (`prosody --version` can hang on some systems).
--
-- A note on the config language: Prosody runs this file as Lua. Every GLOBAL assignment becomes a Prosody option;
-- `local` variables and functions are only helpers and are not seen by Prosody. Prosody 0.12 lets the file see Lua's
-- standard library through its globals (os.getenv, string, tonumber, ...); later versions offer it as `Lua`. The
-- line below works with both.
local L = Lua or _G

---------------------------------------------------------------------------------------------------------------------
-- Per-instance settings. Environment variable (COVE_XMPP_<NAME>)  ->  default when it is unset or empty.
---------------------------------------------------------------------------------------------------------------------
local defaults = {
	DOMAIN = "example.org",                     -- the XMPP domain: users are user@DOMAIN
	LISTEN = "*, ::",                           -- addresses to listen on ("*" = all IPv4, "::" = all IPv6)
	C2S_PORT = "5222",                          -- client connections (STARTTLS)
	S2S_PORT = "5269",                          -- server-to-server connections (STARTTLS)
	DATA_DIR = "/var/lib/prosody",              -- accounts, rosters, archives (must be writable)
	CERT = "/etc/prosody/certs/example.org.crt", -- certificate (chain) valid for DOMAIN (DNS subjectAltName)
	KEY = "/etc/prosody/certs/example.org.key",  -- its private key
	CA_FILE = "/etc/ssl/certs/ca-certificates.crt", -- CAs trusted to verify OTHER servers' certificates (s2s)
	PIDFILE = "/run/prosody/prosody.pid",
	LOG_FILE = "/var/log/prosody/prosody.log",  -- "-" = standard output
	LOG_LEVEL = "info",                         -- info or warn. "debug" logs IP addresses: never in production
	ALLOW_REGISTRATION = "false",               -- "true": anyone may create an account (XEP-0077 in-band)
	MAM_EXPIRES = "1w",                         -- how long the server keeps message archives (d, w, m, y)
	-- Static s2s routes: remote domains reached at a fixed address with no DNS look-up, as a space- or
	-- comma-separated list of DOMAIN=HOST:PORT (IPv6: DOMAIN=[ADDR]:PORT). Empty: every domain is found through DNS.
	S2S_ROUTES = "",
	S2S_ROUTES_ONLY = "false",                  -- "true": refuse s2s to any domain not in S2S_ROUTES (no DNS at all)
	PLUGIN_DIR = "",                            -- where mod_cove_static_s2s.lua is; empty = "modules" next to this file
	RUN_AS_ROOT = "false",                      -- "true" only in throw-away containers/test rigs
	C2S_RATE = "64kb/s",                        -- bandwidth per client connection (a big OX message is ~1.7 kB)
}

local function setting(name)
	local value = L.os.getenv("COVE_XMPP_" .. name)
	if value == nil or value == "" then
		value = defaults[name]
	end
	return value
end

local function flag(name)
	local value = setting(name)
	if value ~= "true" and value ~= "false" then
		error("COVE_XMPP_" .. name .. " must be true or false, not " .. L.tostring(value), 0)
	end
	return value == "true"
end

local function port(name)
	local value = L.tonumber(setting(name))
	if value == nil or value < 1 or value > 65535 or value % 1 ~= 0 then
		error("COVE_XMPP_" .. name .. " is not a TCP port", 0)
	end
	return L.math.floor(value) -- (math.tointeger is Lua 5.3+ only)
end

local function list(name)
	local items = {}
	for item in L.string.gmatch(setting(name), "[^%s,]+") do
		items[#items + 1] = item
	end
	return items
end

local function parse_routes(text)
	local routes = {}
	for entry in L.string.gmatch(text, "[^%s,]+") do
		local domain, host, route_port = L.string.match(entry, "^([^=]+)=%[([^%]]+)%]:(%d+)$")
		if domain == nil then
			domain, host, route_port = L.string.match(entry, "^([^=]+)=([^:]+):(%d+)$")
		end
		if domain == nil then
			error("COVE_XMPP_S2S_ROUTES: cannot read '" .. entry .. "' (want DOMAIN=HOST:PORT)", 0)
		end
		routes[domain] = { host, L.math.floor(L.tonumber(route_port)) }
	end
	return routes
end

local function this_directory()
	local source = L.debug.getinfo(1, "S").source
	return L.string.match(source, "^@(.*)/[^/]*$") or "."
end

local domain = setting("DOMAIN")
local plugin_dir = setting("PLUGIN_DIR")
if plugin_dir == "" then
	plugin_dir = this_directory() .. "/modules"
end

---------------------------------------------------------------------------------------------------------------------
-- Process, files and network
---------------------------------------------------------------------------------------------------------------------
run_as_root = flag("RUN_AS_ROOT")
pidfile = setting("PIDFILE")
data_path = setting("DATA_DIR")
plugin_paths = { plugin_dir }

interfaces = list("LISTEN")
c2s_ports = { port("C2S_PORT") }
s2s_ports = { port("S2S_PORT") }
-- Chat traffic is many small writes: with Nagle's algorithm on, every hop waits for the peer's delayed ACK (~40 ms).
network_settings = { nagle = false }
-- No Direct TLS (XEP-0368) listeners, no HTTP, no components are configured: only the two ports above are opened.

---------------------------------------------------------------------------------------------------------------------
-- Logging
--
-- What is logged at "info": start-up and shut-down, listeners opened ("Activated service 'c2s' on [addr]:port" -
-- the server's own address), certificates loaded, per connection "Client connected", "Stream encrypted (TLS version
-- and cipher)", "Authenticated as user@domain", "Client disconnected: reason", s2s links opened and closed
-- (domain -> domain), accounts created (user@domain), archive clean-ups. No client IP address is logged at info or
-- warn (checked against the 0.12.3 sources: client IPs appear only in "debug" messages, and at info only if you
-- turn on blocklist_on_registration_throttle_overload, which this file does not). At "warn": TLS failures, refused
-- certificates of remote servers (naming the server, or its IP if it gave no name), stream-management trouble.
-- Keep the level at info or warn.
---------------------------------------------------------------------------------------------------------------------
local log_level = setting("LOG_LEVEL")
if log_level ~= "debug" and log_level ~= "info" and log_level ~= "warn" and log_level ~= "error" then
	error("COVE_XMPP_LOG_LEVEL must be debug, info, warn or error", 0)
end
local log_file = setting("LOG_FILE")
if log_file == "-" then
	log = { { levels = { min = log_level }, to = "console" } }
else
	log = { { levels = { min = log_level }, to = "file", filename = log_file, timestamps = true } }
end

---------------------------------------------------------------------------------------------------------------------
-- Modules. Auto-loaded by Prosody and not listed: posix (pidfile), c2s, s2s, s2s_auth_certs, presence, message,
-- iq, offline (offline messages). mod_version is deliberately NOT loaded: a server does not tell anyone which
-- software and version it runs.
---------------------------------------------------------------------------------------------------------------------
modules_enabled = {
	"roster";        -- contact lists
	"saslauth";      -- SASL authentication (SCRAM-SHA-1, PLAIN only inside TLS)
	"tls";           -- STARTTLS for c2s and s2s
	"dialback";      -- s2s authentication for servers that cannot do SASL EXTERNAL (still needs valid certs, see below)
	"disco";         -- service discovery (XEP-0030)
	"carbons";       -- message carbons (XEP-0280): every device of a user sees the conversation
	"pep";           -- personal eventing (XEP-0163): OpenPGP keys, avatars, ...
	"blocklist";     -- blocking command (XEP-0191)
	"vcard4";        -- vCard4 over PEP (XEP-0292)
	"vcard_legacy";  -- vcard-temp (XEP-0054) mapped onto vCard4 for older clients
	"register";      -- in-band registration (XEP-0077) and password change; open sign-up only if allowed below
	"mam";           -- message archive (XEP-0313)
	"smacks";        -- stream management (XEP-0198)
	"ping";          -- XEP-0199
	"time";          -- XEP-0202
	"limits";        -- bandwidth limits per connection
	"cove_static_s2s"; -- static s2s routes (./modules/mod_cove_static_s2s.lua); does nothing when the table is empty
}

---------------------------------------------------------------------------------------------------------------------
-- Security
---------------------------------------------------------------------------------------------------------------------
c2s_require_encryption = true          -- clients must STARTTLS before anything else (no SASL/registration in clear)
s2s_require_encryption = true          -- server links must use TLS
s2s_secure_auth = true                 -- and present a certificate valid for their domain (no dialback-only trust)
allow_unencrypted_plain_auth = false
authentication = "internal_hashed"     -- passwords stored as SCRAM hashes only
storage = "internal"

-- Prosody also indexes a certificate directory at start-up; point it at the one that holds our certificate.
certificates = L.string.match(setting("CERT"), "^(.*)/[^/]*$") or "."
ssl = {
	certificate = setting("CERT");
	key = setting("KEY");
	cafile = setting("CA_FILE");
	protocol = "tlsv1_2+";
}

-- Remote domains reached at a fixed address (see S2S_ROUTES above), used by mod_cove_static_s2s.
cove_static_s2s = parse_routes(setting("S2S_ROUTES"))
cove_static_s2s_only = flag("S2S_ROUTES_ONLY")

-- In-band registration. Open sign-up attracts spam accounts: turn it on only with the throttle below, or invite-only.
allow_registration = flag("ALLOW_REGISTRATION")
-- At most 3 new accounts per source IP per hour. Addresses in registration_allowlist (by default 127.0.0.1 and
-- ::1) are not throttled: behind a reverse proxy or as a Tor onion service every client comes from 127.0.0.1, so
-- there open sign-up is effectively unthrottled.
registration_throttle_max = 3
registration_throttle_period = 60 * 60

limits = {
	c2s = { rate = setting("C2S_RATE"); burst = "2s" };
	s2sin = { rate = "256kb/s"; burst = "2s" };
}

-- Message archive: kept for MAM_EXPIRES, on by default for every user (a user can change it with XEP-0313 prefs).
archive_expires_after = setting("MAM_EXPIRES")
default_archive_policy = true
max_archive_query_results = 100

-- Stream management: a client that drops off has 5 minutes to resume before its session ends.
smacks_hibernation_time = 300

---------------------------------------------------------------------------------------------------------------------
-- The one virtual host. Everything above is global; options written below this line would belong to the host.
---------------------------------------------------------------------------------------------------------------------
VirtualHost(domain)
