"""seedsim: a simulator of SEED+-style customs-to-customs data exchange.

Nodes (customs administrations and other border agencies) exchange WCO Data
Model messages over Apache Kafka -- or over an in-process bus for demos and
fast tests -- when a consignment's events fire: Pre-Arrival, Exit, Entry.
"""

__version__ = "0.1.0"
