-- Seeds a fleet for bench/console/run.sh: :hosts hosts (1 in 50 revoked, 1 in 20 silent, 1 in 25
-- lagging) and :alerts agent alerts over the last 7 days, in the shape the server stores them
-- (alerts.body is the agent's Falco-shaped alert; detector, summary and details as the ingest
-- writes them). Run by psql with -v hosts=N -v alerts=N after serve created the schema.
BEGIN;
INSERT INTO fleet_enroll_secrets (secret_hash, grp, created) VALUES (sha256('bench-secret'::bytea), 'default', now());
INSERT INTO fleet_hosts (name, grp, credential_hash, enrolled, enrolled_with, revoked, last_seen, heartbeat_interval_s, heartbeats,
                         version, lag_bytes, files, pending, last_error)
SELECT format('hv-%s', lpad(i::text, 4, '0')),
       CASE WHEN i % 3 = 0 THEN 'web' ELSE 'default' END,
       sha256(('bench-credential-' || i)::bytea),
       now() - interval '30 days',
       (SELECT min(id) FROM fleet_enroll_secrets),
       CASE WHEN i % 50 = 0 THEN now() - interval '1 day' END,
       CASE WHEN i % 20 = 0 THEN now() - interval '10 minutes' ELSE now() - (random() * interval '20 seconds') END,
       30, 1000 + i,
       '0.9.0', (random() * 4096)::bigint, 1 + i % 7,
       CASE WHEN i % 25 = 0 THEN '{"server": 0, "webhook": 12}'::jsonb ELSE '{"server": 0}'::jsonb END,
       CASE WHEN i % 25 = 0 THEN 'webhook: connection refused' END
FROM generate_series(1, :hosts) AS i;

INSERT INTO alerts (uuid, host, host_id, time, received, source, vm, log, profile, detector, rule, priority, mismatches, summary, details_json, body)
SELECT u, h.name, h.id, t, t + interval '1 second', 'watch', v, l, p, d, NULL, 'Critical', 1,
       format('Unknown system-call transition %s -> %s in a well-known program (vm=%s log=%s profile=%s)', pv, nx, v, l, p),
       json_build_array(json_build_object('line', n % 900, 'pid', 100 + n % 50, 'prev', pv, 'next', nx, 'count', 1, 'window', pv || ' ' || nx))::text,
       jsonb_build_object('uuid', u, 'time', to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'rule', 'Unknown system-call transition',
           'priority', 'Critical', 'source', 'syscall', 'hostname', h.name, 'tags', jsonb_build_array('sysprint', 'syscall'),
           'output', format('Unknown system-call transition %s -> %s', pv, nx),
           'output_fields', jsonb_build_object('log.name', l, 'log.line', n % 900, 'vm.name', v, 'proc.pid', 100 + n % 50, 'program', p,
               'mismatch.prev', pv, 'mismatch.next', nx, 'mismatch.count', 1, 'mismatch.window', pv || ' ' || nx, 'profile', p, 'detector', d))
FROM (
    SELECT n,
           gen_random_uuid()::text AS u,
           1 + (n * 7919) % :hosts AS hid,
           now() - (random() * interval '7 days') AS t,
           format('vm-%s', lpad((n % 12)::text, 2, '0')) AS v,
           (ARRAY['nginx', 'sshd', 'cat', 'ls', 'postgres', 'cron'])[1 + n % 6] AS p,
           (ARRAY['paper', 'paper', 'paper', 'stide', 'callset'])[1 + n % 5] AS d,
           (ARRAY['close', 'read', 'mmap', 'openat', 'write'])[1 + n % 5] AS pv,
           (ARRAY['socket', 'connect', 'execve', 'ptrace', 'clone3'])[1 + n % 5] AS nx,
           format('/var/spool/sysprint/vm-%s/run-%s.strace', lpad((n % 12)::text, 2, '0'), n) AS l
    FROM generate_series(1, :alerts) AS n
) s JOIN fleet_hosts h ON h.id = (SELECT min(id) FROM fleet_hosts) + s.hid - 1
ORDER BY t;
-- Some decisions already made, as on a console in use.
UPDATE alerts SET status = 'acknowledged', status_note = 'seen', status_by = 'bench', status_at = now() WHERE host_id IS NOT NULL AND seq % 7 = 0;
UPDATE alerts SET status = 'dismissed', status_note = 'normal', status_by = 'bench', status_at = now() WHERE host_id IS NOT NULL AND seq % 11 = 0;
COMMIT;
ANALYZE;
