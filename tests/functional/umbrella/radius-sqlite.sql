-- The FreeRADIUS tables the Umbrella flow touches (the rlm_sql SQLite
-- schema's radcheck and radreply), and the original's users_identity
-- (umbrella.md §5), for the end-to-end tests.
CREATE TABLE radcheck (
        id INTEGER PRIMARY KEY,
        username VARCHAR(64) NOT NULL DEFAULT '',
        attribute VARCHAR(64) NOT NULL DEFAULT '',
        op CHAR(2) NOT NULL DEFAULT '==',
        value VARCHAR(253) NOT NULL DEFAULT ''
);
CREATE INDEX check_username ON radcheck (username);
CREATE TABLE radreply (
        id INTEGER PRIMARY KEY,
        username VARCHAR(64) NOT NULL DEFAULT '',
        attribute VARCHAR(64) NOT NULL DEFAULT '',
        op CHAR(2) NOT NULL DEFAULT '=',
        value VARCHAR(253) NOT NULL DEFAULT ''
);
CREATE INDEX reply_username ON radreply (username);
CREATE TABLE radusergroup (
        id INTEGER PRIMARY KEY,
        username VARCHAR(64) NOT NULL DEFAULT '',
        groupname VARCHAR(64) NOT NULL DEFAULT '',
        priority INT NOT NULL DEFAULT 1
);
CREATE TABLE users_identity (
        id INTEGER PRIMARY KEY,
        radcheck_id INTEGER NOT NULL REFERENCES radcheck(id) ON DELETE CASCADE,
        umbrella_label VARCHAR(32) NOT NULL,
        whitelisted_from DATE
);
