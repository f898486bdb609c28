"""The ground floor: what every message, node and runner stands on, and nothing above it.

* the CloudEvents envelope (:mod:`.envelope`) and topic names (:mod:`.topics`);
* the hardened XML parser (:mod:`.xml_safety`), the declarative XML binding
  (:mod:`.xml_binding`) and the WCO DM building blocks (:mod:`.wco`,
  :mod:`.declaration`, :mod:`.response`);
* validation: issues, rule sets, compiled XSDs and the one check sequence
  (:mod:`.validation`), declaration rules, codes and identifiers;
* what a message type is (:mod:`.message_type`), not which ones exist;
* the transport port and its two adapters (:mod:`.transport`);
* the stores: one SQLite file per node with its outbox (:mod:`.sqlite_store`,
  :mod:`.node_store`); the interop record (:mod:`.interop`).

Nothing in here imports from another seedsim package (an import-linter contract
in ``pyproject.toml`` says so); :mod:`seedsim.bootstrap` composes these pieces.
"""
