"""``autovec serve``: the MySQL wire protocol in front of the embedded engine.

A thin transport: every statement, SHOW, variable and information_schema table is the
engine's (``autovec.sql``), reached through the same :func:`autovec.connect` the DB-API
uses. mysql-mimic speaks the protocol; this package adapts it:

- ``results.py``     engine results → protocol result sets (MySQL column types)
- ``session.py``     one engine connection per client, run off the event loop
- ``connection.py``  what mysql-mimic's packets leave out: affected rows, insert ids,
                     warnings, status flags, SQLSTATEs, PREPARE's columns; the login
- ``prepared.py``    COM_STMT_EXECUTE's parameters, read as values
- ``accounts.py``    users and their password verifiers; the users file
- ``auth.py``        the two password plugins, and the back-off after wrong passwords
- ``stream.py``      packets: max_allowed_packet, and the switch to TLS
- ``serve.py``       the listening socket, its configuration and its log lines
"""
