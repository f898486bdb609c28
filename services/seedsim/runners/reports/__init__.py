"""A run's conformance report: one document, written as HTML, JSON or JUnit.

``seedsim run SCENARIO --report DIR`` writes it for the run it played; ``seedsim report`` writes
it for a trace file or for live topics. Either way the report is made of the same parts:

* :mod:`.run_report`: the document itself (its JSON keys are documented there), built from the
  monitor's aggregate (:mod:`seedsim.runners.monitor.monitor_aggregate`: the counters, the interop
  matrix, the service levels, alerts, dead letters and latency distributions are computed there
  and nowhere else), the scenario's expectation verdicts and the Utility Block steps;
* :mod:`.report_sources`: where the records come from (a run, a trace, a Kafka cluster), decoded
  through the monitor's one decoder, and how the scenario's expectations are evaluated on them
  (the runner's own :func:`seedsim.runners.scenarios.expectations.evaluate`);
* :mod:`.report_html` (one self-contained file: a Jinja2 template with inline CSS and SVG, no
  script, no URL), :mod:`.latency_chart` (the SVG's geometry) and :mod:`.report_junit` (one test
  case per expectation and per UB step, for an integrator's CI pipeline).
"""
