"""MySQL's built-in functions, with MySQL semantics, on SQLite, declared once per domain.

sqlglot parses MySQL SQL and generates SQLite SQL, but many MySQL functions either do
not exist in SQLite or come out with other semantics (``DATE_ADD`` on a DATETIME becomes
``DATE(...)`` and drops the time, ``SUBSTRING(s, 0)`` returns the whole string, ``RAND()``
becomes an integer, ``CAST(1.7 AS SIGNED)`` truncates...). Two halves fix that:

- :func:`autovec.sql.functions.rewrite.rewrite` walks the parsed MySQL tree once, before
  SQLite generation, and replaces such nodes by calls ``__av_<name>(...)``;
- :func:`autovec.sql.functions.catalog.register` registers the Python functions those
  calls name (plus ``regexp``, which SQLite's ``X REGEXP Y`` needs) on an apsw connection.

Layout: ``values`` (MySQL's implicit conversions) and ``registry`` (the declaration type)
import nothing of the package; each domain (``temporal``, ``strings``, ``numbers``,
``casts``, ``json``, ``regexp``, ``aggregates``) imports those two (``aggregates`` also
``json``) and declares its functions once; ``catalog`` gathers the declarations and
derives every table; ``rewrite`` imports only ``catalog`` and ``registry``.
"""
