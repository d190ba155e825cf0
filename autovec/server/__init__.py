"""``autovec serve``: the MySQL wire protocol in front of the embedded engine.

A thin transport: every statement, SHOW, variable and information_schema table is the
engine's (``autovec.sql``), reached through the same :func:`autovec.connect` the DB-API
uses. mysql-mimic speaks the protocol; this package adapts it:

- ``results.py``     engine results → protocol result sets (MySQL column types)
- ``session.py``     one engine connection per client, run off the event loop
- ``connection.py``  what mysql-mimic's packets leave out: affected rows, insert ids,
                     warnings, status flags and SQLSTATEs
- ``serve.py``       the listening socket and its log lines
"""
