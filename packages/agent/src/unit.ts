/**
 * The systemd unit `install-service` and `agent.sh` write. It lives in code rather than in a
 * file beside the package so the single-file bundle and the single executable carry it.
 */
export function unitText(execStart: string): string {
  return `# pantau-agent as a systemd service, written by \`pantau-agent install-service\`.
# The token is in the 0600 file the config's tokenFile names.
[Unit]
Description=Pantau agent: host metrics and allowlisted actions for a Pantau collector
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
# Optional overrides such as PANTAU_LOG_LEVEL=debug.
EnvironmentFile=-/etc/pantau/agent.env
ExecStart=${execStart}
Restart=always
RestartSec=5s
# SIGTERM lets the agent close its socket and stop running jobs; jobs are in the unit's cgroup too.
KillMode=mixed
TimeoutStopSec=15s

# Runs as root so that the actions an owner allows (apt, systemctl restart, reboot) can work.
# The hardening below keeps what those actions need: /usr, /etc, /var and /boot stay writable
# for apt, setuid bits may be set by dpkg, and systemctl reaches systemd over D-Bus. On a host
# that allows only read-only actions, add ProtectSystem=strict and ReadOnlyPaths=/ as well.
NoNewPrivileges=yes
PrivateTmp=yes
ProtectHome=read-only
ProtectClock=yes
ProtectKernelLogs=yes
ProtectHostname=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}
