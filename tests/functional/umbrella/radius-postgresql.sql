-- The FreeRADIUS PostgreSQL tables the Umbrella flow touches, and the
-- original's users_identity with the column name of its SQL.md
-- (whitelist_from; its code said whitelisted_from: secresp reads either).
CREATE TABLE radcheck (
        id SERIAL PRIMARY KEY,
        username TEXT NOT NULL DEFAULT '',
        attribute TEXT NOT NULL DEFAULT '',
        op VARCHAR(2) NOT NULL DEFAULT '==',
        value TEXT NOT NULL DEFAULT ''
);
CREATE TABLE radreply (
        id SERIAL PRIMARY KEY,
        username TEXT NOT NULL DEFAULT '',
        attribute TEXT NOT NULL DEFAULT '',
        op VARCHAR(2) NOT NULL DEFAULT '=',
        value TEXT NOT NULL DEFAULT ''
);
CREATE TABLE users_identity (
        id SERIAL PRIMARY KEY,
        radcheck_id INTEGER NOT NULL REFERENCES radcheck(id) ON DELETE CASCADE,
        umbrella_label VARCHAR(32) NOT NULL,
        whitelist_from DATE
);
INSERT INTO radcheck (id, username, attribute, op, value) VALUES
  (1, 'alice', 'Cleartext-Password', ':=', 'x'), (2, 'bob', 'Cleartext-Password', ':=', 'x'),
  (3, 'carol', 'Cleartext-Password', ':=', 'x'), (4, 'dave', 'Cleartext-Password', ':=', 'x'),
  (5, 'erin', 'Cleartext-Password', ':=', 'x');
INSERT INTO users_identity (radcheck_id, umbrella_label, whitelist_from) VALUES
  (1, 'PC-ALICE', NULL), (2, 'PC-BOB', NULL), (3, 'PC-CAROL', NULL),
  (4, 'PC-DAVE', CURRENT_DATE - 2), (5, 'PC-ERIN', CURRENT_DATE - 40);
INSERT INTO radreply (username, attribute, op, value) VALUES
  ('alice', 'ASA-Member-Of', '=', 'Safe'), ('bob', 'ASA-Member-Of', '=', 'Safe'),
  ('carol', 'ASA-Member-Of', '=', 'Safe'), ('dave', 'ASA-Member-Of', '=', 'Safe');
GRANT SELECT ON radcheck, users_identity TO radius;
GRANT SELECT, UPDATE, INSERT ON radreply TO radius;
GRANT USAGE ON SEQUENCE radreply_id_seq TO radius;
