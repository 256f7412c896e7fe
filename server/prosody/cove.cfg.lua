-- Cove's Prosody configuration: a hardened single-domain XMPP server ("gateway") for Cove users (Prosody 0.12).
--
-- This one file serves two purposes:
--   * the configuration an operator installs (SELF-HOSTING.md walks through it), and
--   * the servers of Cove's test rig (test/rig/prosody.ts), which run THIS file unchanged.
--
-- Per-instance values come from settings named COVE_XMPP_<NAME> (the table below), looked up in this order:
--   1. the process environment (the test rig sets them there);
--   2. the settings file: COVE_XMPP_SETTINGS names it; by default it is "cove.env" next to this file, e.g.
--      /etc/prosody/cove.env. One `COVE_XMPP_NAME=value` a line, `#` starts a comment line; the same file works as
--      a systemd EnvironmentFile. A missing file is fine; COVE_XMPP_SETTINGS=- reads none. Start from
--      cove.env.example;
--   3. the default in the table below.
-- So `prosody` and `prosodyctl` (adduser, mod_invites) see the same settings with no environment to pass around.
--
-- Start it in the foreground (systemd, or the rig) with:
--     prosody --config /path/to/cove.cfg.lua -F
-- Check the installation with `prosodyctl about` (`prosody --version` can hang on some systems).
--
-- A note on the config language: Prosody runs this file as Lua. Every GLOBAL assignment becomes a Prosody option;
-- `local` variables and functions are only helpers and are not seen by Prosody. Prosody 0.12 lets the file see Lua's
-- standard library through its globals (os.getenv, string, io, ...); later versions offer it as `Lua`. The line
-- below works with both.
local L = Lua or _G

---------------------------------------------------------------------------------------------------------------------
-- Per-instance settings: COVE_XMPP_<NAME>  ->  default when it is unset or empty everywhere.
---------------------------------------------------------------------------------------------------------------------
local defaults = {
	DOMAIN = "example.org",                     -- the XMPP domain: users are user@DOMAIN
	LISTEN = "*, ::",                           -- addresses to listen on ("*" = all IPv4, "::" = all IPv6);
	                                            -- "127.0.0.1" for a gateway reached only through its .onion
	C2S_PORT = "5222",                          -- client connections (STARTTLS)
	S2S_PORT = "5269",                          -- server-to-server connections (STARTTLS)
	DATA_DIR = "/var/lib/prosody",              -- accounts, rosters, archives (must be writable)
	CERT = "",                                  -- certificate (chain) valid for DOMAIN (DNS subjectAltName);
	                                            -- empty = /etc/prosody/certs/DOMAIN.crt (`prosodyctl cert import`)
	KEY = "",                                   -- its private key; empty = /etc/prosody/certs/DOMAIN.key
	CA_FILE = "/etc/ssl/certs/ca-certificates.crt", -- CAs trusted to verify OTHER servers' certificates (s2s)
	PIDFILE = "/run/prosody/prosody.pid",
	LOG_FILE = "/var/log/prosody/prosody.log",  -- "-" = standard output (the journal, under systemd)
	LOG_LEVEL = "warn",                         -- warn (errors and trouble only), info (+ connections, accounts)
	                                            -- or debug (everything, protocol traffic included): see Logging
	LOG_REDACT = "true",                        -- "false" writes IP addresses and user names into the log
	-- Who may create accounts by in-band registration (XEP-0077):
	--   invite  only with an invitation (XEP-0401 token) from `prosodyctl mod_invites generate DOMAIN` or an admin;
	--   open    anyone, at most 3 accounts per source address per hour (see REGISTRATION_ALLOWLIST);
	--   closed  nobody: the operator creates accounts with `prosodyctl adduser user@DOMAIN`.
	REGISTRATION = "invite",
	-- Source addresses that open registration does not throttle (space- or comma-separated). Keep it empty: behind
	-- a .onion every client comes from 127.0.0.1, and an allowlisted 127.0.0.1 would make sign-up unthrottled.
	REGISTRATION_ALLOWLIST = "",
	ALLOW_REGISTRATION = "",                    -- old name: "true" = REGISTRATION open with 127.0.0.1 and ::1
	                                            -- allowlisted (the former behaviour), "false" = closed
	ADMINS = "",                                -- admin JIDs (space-separated): they may create invitations from
	                                            -- their XMPP client (ad-hoc commands); empty = no admins
	MAM_EXPIRES = "1w",                         -- how long the server keeps message archives (d, w, m, y)
	-- Static s2s routes: remote domains reached at a fixed address with no DNS look-up, as a space- or
	-- comma-separated list of DOMAIN=HOST:PORT (IPv6: DOMAIN=[ADDR]:PORT). Empty: every domain is found through DNS.
	S2S_ROUTES = "",
	S2S_ROUTES_ONLY = "false",                  -- "true": refuse s2s to any domain not in S2S_ROUTES (no DNS at all)
	PLUGIN_DIR = "",                            -- where mod_cove_static_s2s.lua is; empty = "modules" next to this file
	RUN_AS_ROOT = "false",                      -- "true" only in throw-away containers/test rigs
	C2S_RATE = "64kb/s",                        -- bandwidth per client connection (a big OX message is ~1.7 kB)
	S2S_RATE = "1mb/s",                         -- bandwidth per incoming server connection: one link carries every user between two servers (256kb/s caps OX at ~135 messages/s)
}

-- The directory of this file, absolute (prosody --config may be given a relative path).
local function this_directory()
	local source = L.debug.getinfo(1, "S").source
	local dir = L.string.match(source, "^@(.*)/[^/]*$") or "."
	if L.string.sub(dir, 1, 1) ~= "/" then
		local ok, lfs = L.pcall(L.require, "lfs")
		if ok and lfs.currentdir() ~= nil then
			dir = lfs.currentdir() .. "/" .. dir
		end
	end
	return dir
end

-- The settings file (see the top). Lines that are not COVE_XMPP_NAME=value stop Prosody with an error: a typo must
-- not silently fall back to a default.
local file_settings = {}
local settings_path = L.os.getenv("COVE_XMPP_SETTINGS")
if settings_path == nil or settings_path == "" then
	settings_path = this_directory() .. "/cove.env"
end
if settings_path ~= "-" then
	local file = L.io.open(settings_path, "r")
	if file ~= nil then
		local number = 0
		for line in file:lines() do
			number = number + 1
			if not L.string.match(line, "^%s*$") and not L.string.match(line, "^%s*#") then
				local name, value = L.string.match(line, "^%s*COVE_XMPP_([%u%d_]+)%s*=%s*(.-)%s*$")
				if name == nil or defaults[name] == nil then
					file:close()
					error(settings_path .. ":" .. number .. ": not a COVE_XMPP_<NAME>=value setting", 0)
				end
				file_settings[name] = L.string.match(value, '^"(.*)"$') or value
			end
		end
		file:close()
	end
end

local function setting(name)
	local value = L.os.getenv("COVE_XMPP_" .. name)
	if value == nil or value == "" then
		value = file_settings[name]
	end
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

local function split(text)
	local items = {}
	for item in L.string.gmatch(text, "[^%s,]+") do
		items[#items + 1] = item
	end
	return items
end

local function list(name)
	return split(setting(name))
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

local domain = setting("DOMAIN")
local plugin_dir = setting("PLUGIN_DIR")
if plugin_dir == "" then
	plugin_dir = this_directory() .. "/modules"
end
local cert_file = setting("CERT")
if cert_file == "" then
	cert_file = "/etc/prosody/certs/" .. domain .. ".crt"
end
local key_file = setting("KEY")
if key_file == "" then
	key_file = "/etc/prosody/certs/" .. domain .. ".key"
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
-- Prosody 0.12.3 writes the client's IP address in "debug" messages (connections accepted and closed, stream
-- errors, registration throttling), at "info" when an address is added to the registration blocklist, and at
-- "warn" for remote servers without a name; "info" also names every user who logs in, logs out or signs up, and
-- "debug" contains whole stanzas. So, at every level, the log sink below passes each message through `redact`
-- before it is written: IPv4 and IPv6 addresses (IPv4-mapped ::ffff:a.b.c.d too) become "[ip]" and the user part
-- of every JID becomes "[user]" (user@domain/resource -> [user]@domain/resource). Domains stay readable, which is
-- what an operator needs to see s2s trouble; so do "::", "::1", "0.0.0.0" and "127.0.0.1", nobody's addresses.
-- Over-redaction is accepted: a four-part version number or a colon-separated hex string (a fingerprint, a time of
-- day) is also written as "[ip]". Only the user@domain form of a name is caught: at "debug" Prosody also writes
-- bare user names ("All resources of alice are now offline"), so debug is for a short diagnosis only.
-- LOG_REDACT=false turns this off: then IP addresses and JIDs ARE written (test/integration/
-- selfhost-no-ip-logs.test.ts proves both). The default level is warn: Prosody logs little more than failures.
---------------------------------------------------------------------------------------------------------------------
-- Addresses of no one, kept readable: "any" and loopback (behind a .onion every client is 127.0.0.1).
local nobody = { ["::"] = true, ["::1"] = true, ["0.0.0.0"] = true, ["127.0.0.1"] = true }
local function address(text)
	if nobody[text] then
		return nil -- gsub keeps the match
	end
	return "[ip]"
end

local function redact(message)
	-- IPv6 first (its IPv4-mapped form contains dots): a run of hex digits, colons and dots with two colons or more.
	message = L.string.gsub(message, "[%x:%.]*:[%x:%.]*:[%x:%.]*", address)
	message = L.string.gsub(message, "%d+%.%d+%.%d+%.%d+", address)
	-- A JID's user part: whatever stands before an "@" up to a space, quote, bracket, slash, "=" or "<".
	message = L.string.gsub(message, "[^%s@/<>'\"=%[%]()]+@", "[user]@")
	return message
end

local log_level = setting("LOG_LEVEL")
if log_level ~= "debug" and log_level ~= "info" and log_level ~= "warn" and log_level ~= "error" then
	error("COVE_XMPP_LOG_LEVEL must be debug, info, warn or error", 0)
end
local log_filter = nil
if flag("LOG_REDACT") then
	log_filter = redact
end
local log_file = setting("LOG_FILE")
-- "stdout" rather than "console": Prosody's console sink replaces the filter with its own pretty-printer.
if log_file == "-" then
	log = { { levels = { min = log_level }, to = "stdout", filter = log_filter } }
else
	log = { { levels = { min = log_level }, to = "file", filename = log_file, timestamps = true, filter = log_filter } }
end

---------------------------------------------------------------------------------------------------------------------
-- Registration (in-band, XEP-0077), see REGISTRATION above.
---------------------------------------------------------------------------------------------------------------------
local registration = setting("REGISTRATION")
local registration_allowlist_text = setting("REGISTRATION_ALLOWLIST")
local legacy_registration = setting("ALLOW_REGISTRATION")
if legacy_registration ~= "" and (L.os.getenv("COVE_XMPP_REGISTRATION") or file_settings.REGISTRATION or "") == "" then
	if legacy_registration == "true" then
		registration = "open"
		if registration_allowlist_text == "" then
			registration_allowlist_text = "127.0.0.1 ::1"
		end
	elseif legacy_registration == "false" then
		registration = "closed"
	else
		error("COVE_XMPP_ALLOW_REGISTRATION must be true or false", 0)
	end
end
if registration ~= "invite" and registration ~= "open" and registration ~= "closed" then
	error("COVE_XMPP_REGISTRATION must be invite, open or closed", 0)
end

---------------------------------------------------------------------------------------------------------------------
-- Modules. Auto-loaded by Prosody and not listed: posix (pidfile), c2s, s2s, s2s_auth_certs, presence, message,
-- iq, offline (offline messages). mod_version is deliberately NOT loaded: a server does not tell anyone which
-- software and version it runs. Nor are lastactivity or uptime: no "last seen" times are kept or told.
---------------------------------------------------------------------------------------------------------------------
-- (Built as a local list first: an option, once set, cannot be read back in this file.)
local modules = {
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
	"register";      -- in-band registration (XEP-0077) and password change; who may sign up: REGISTRATION
	"mam";           -- message archive (XEP-0313)
	"smacks";        -- stream management (XEP-0198)
	"ping";          -- XEP-0199
	"time";          -- XEP-0202
	"limits";        -- bandwidth limits per connection
	"cove_static_s2s"; -- static s2s routes (./modules/mod_cove_static_s2s.lua); does nothing when the table is empty
}
if registration == "invite" then
	modules[#modules + 1] = "invites"          -- invitation tokens (prosodyctl mod_invites generate)
	modules[#modules + 1] = "invites_register" -- XEP-0401: a valid token lets a client register
	modules[#modules + 1] = "invites_adhoc"    -- admins create invitations from their XMPP client
end
modules_enabled = modules

---------------------------------------------------------------------------------------------------------------------
-- Security
---------------------------------------------------------------------------------------------------------------------
c2s_require_encryption = true          -- clients must STARTTLS before anything else (no SASL/registration in clear)
s2s_require_encryption = true          -- server links must use TLS
s2s_secure_auth = true                 -- and present a certificate valid for their domain (no dialback-only trust)
allow_unencrypted_plain_auth = false
authentication = "internal_hashed"     -- passwords stored as SCRAM hashes only
storage = "internal"
admins = list("ADMINS")

-- Prosody also indexes a certificate directory at start-up; point it at the one that holds our certificate.
certificates = L.string.match(cert_file, "^(.*)/[^/]*$") or "."
ssl = {
	certificate = cert_file;
	key = key_file;
	cafile = setting("CA_FILE");
	protocol = "tlsv1_2+";
}

-- Remote domains reached at a fixed address (see S2S_ROUTES above), used by mod_cove_static_s2s.
cove_static_s2s = parse_routes(setting("S2S_ROUTES"))
cove_static_s2s_only = flag("S2S_ROUTES_ONLY")

-- mod_register turns on when any registration is allowed; mod_invites_register then refuses it without a valid
-- token when REGISTRATION is invite (registration_invite_only). Open registration: at most 3 new accounts per
-- source address per hour, except from the addresses in REGISTRATION_ALLOWLIST.
allow_registration = registration ~= "closed"
registration_invite_only = registration == "invite"
invite_expiry = 7 * 24 * 60 * 60
registration_throttle_max = 3
registration_throttle_period = 60 * 60
registration_allowlist = split(registration_allowlist_text)
-- mod_register also loads mod_watchregistrations, which tells the admins of each new account; Prosody's text of
-- that message ends "from $ip". Ours names no address.
registration_notification = "User $username just registered on $host"

limits = {
	c2s = { rate = setting("C2S_RATE"); burst = "2s" };
	s2sin = { rate = setting("S2S_RATE"); burst = "2s" };
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
