"""The interoperability monitor: what every node's interop records say, live, in a browser.

Every node writes an interop record for each stage of each message (sent, received, valid,
acknowledged, matched, dead-lettered...) to the shared interop topic, and copies what it refuses to
its inbox's dead-letter topic. The monitor is one more consumer of those topics, in a consumer group
of its own; it turns them into the picture a person can use:

* :mod:`.monitored_records`: what a record on a topic is (the one place records are decoded);
* :mod:`.monitor_aggregate`: counters, :mod:`.interop_matrix` (sender x receiver x message type),
  :mod:`.network_graph` (nodes and flows, coloured by health), :mod:`.service_levels` (each
  Utility Block against its governance section, over its own conversations: :mod:`.ub_cells`), alerts and dead letters: pure Python, no I/O,
  so a trace file feeds it as well as a live topic;
* :mod:`.monitor_store`: SQLite, each record stored once (by id) before its offset is committed;
  a restart rebuilds the aggregate from it;
* :mod:`.monitor_ingest`: the transport handler between the two, and :mod:`.monitor_metrics`;
* :mod:`.monitor_app`: the JSON API, Prometheus ``/metrics`` and the dashboard (Jinja2 templates,
  plain JS, server-sent events; everything served from the package, nothing from a CDN);
* :mod:`.monitor_service`: the monitor as a service, or next to an in-process run.

Why the monitor never slows the nodes: it only reads. Nodes never wait for it: they write their
records to the interop topic whether anyone reads them or not, and Kafka keeps them for any
consumer group, so a monitor that is down or slow only falls behind (its lag) and catches up from
its committed offsets. On the in-process bus each consumer group has its own cursor and task, and
the monitor's database work runs on its store's own thread, off the event loop the nodes share.
"""
