"""Who a Kafka client is, and how it proves it: a user, a password, and the protocol that carries them.

A shared broker holds every node's inbox. Without authentication anyone who
reaches it can read a node's inbox, join its consumer group and take its
partitions, or delete its topics. So the broker authenticates each client with
SASL SCRAM-SHA-512 (optionally inside TLS) and an authoriser lets each user do
only what its role needs (see :mod:`seedsim.core.transport.kafka_acls`).

These credentials are plain data, handed from the configuration to the Kafka
adapter (:mod:`seedsim.core.transport.kafka`), the one module that knows how
aiokafka spells them. No credentials at all means a plaintext, anonymous
connection: what a broker without security accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: how a client reaches the broker: no security, SASL over plain TCP, SASL over TLS
PROTOCOLS = ("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL")
#: the SASL mechanism seedsim uses (a salted challenge: the password never crosses the wire)
MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaCredentials:
    """A user and its password for SASL SCRAM-SHA-512, over ``security_protocol``; ``ca_file`` checks the broker's TLS certificate."""

    username: str | None = None
    password: str | None = None
    security_protocol: str = "PLAINTEXT"
    ca_file: Path | None = None
    mechanism: str = MECHANISM

    @classmethod
    def of(
        cls,
        username: str | None = None,
        password: str | None = None,
        security_protocol: str | None = None,
        ca_file: Path | None = None,
    ) -> KafkaCredentials:
        """Credentials from settings; a user without a protocol means SASL_PLAINTEXT. ValueError says what does not fit."""
        protocol = (security_protocol or ("SASL_PLAINTEXT" if username else "PLAINTEXT")).upper()
        if protocol not in PROTOCOLS:
            raise ValueError(f"security protocol {security_protocol!r} is not one of {', '.join(PROTOCOLS)}")
        sasl = protocol.startswith("SASL_")
        if sasl and not (username and password):
            raise ValueError(f"{protocol} needs a user name and a password")
        if not sasl and (username or password):
            raise ValueError("a user name or password needs the security protocol SASL_PLAINTEXT or SASL_SSL")
        if ca_file is not None and protocol != "SASL_SSL":
            raise ValueError("a CA file is for the security protocol SASL_SSL")
        return cls(username, password, protocol, ca_file)

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    def describe(self) -> str:
        """Who connects, as a message says it (never the password)."""
        return f"user {self.username} ({self.mechanism}, {self.security_protocol})" if self.sasl else "no user"


#: what a client without settings uses: plaintext, anonymous
ANONYMOUS = KafkaCredentials()
