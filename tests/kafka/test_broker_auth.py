"""A secured broker keeps each node's inbox its own: logins, ACLs, and a node that works with its own credentials.

The hostile test that found the broker open read ME's inbox, joined ME's
consumer group and took its partitions, changed a topic's size limit and
deleted a topic. On the secured broker (SASL SCRAM-SHA-512, KRaft's
StandardAuthorizer, the ACLs ``seedsim kafka setup`` grants) each of those is
refused, and RS and ME, each logged in as itself, still exchange end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError

from seedsim.core.interop import Stage
from seedsim.core.transport.kafka import KafkaTransport, connection_options
from seedsim.core.transport.kafka_acls import MONITOR_USER, node_group
from seedsim.core.transport.port import Record
from tests.kafka.node_processes import rs_and_me

pytestmark = pytest.mark.kafka

#: a TOPIC_AUTHORIZATION_FAILED answer
NOT_AUTHORISED = TopicAuthorizationFailedError.errno


def seedsim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:

    return subprocess.run(
        [sys.executable, "-m", "seedsim", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def one_line_refusal(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_a_client_without_a_user_is_refused_in_one_line(secured_kafka, tmp_path):
    line = one_line_refusal(seedsim("trace", "record", "--kafka", secured_kafka.bootstrap, "-o", str(tmp_path / "t")))
    assert "closed the connection of a client without a user: a secured broker needs one" in line
    assert "--kafka-username/--kafka-password" in line


def test_a_wrong_password_is_refused_in_one_line_naming_the_user(secured_kafka, tmp_path):
    proc = seedsim(
        "node", "--country", "RS", "--kafka", secured_kafka.bootstrap, "--db", str(tmp_path / "rs.sqlite3"),
        "--kafka-username", "admin", "--kafka-password", "not-the-password",
    )  # fmt: skip
    line = one_line_refusal(proc)
    assert "refused the login of user admin" in line and "--kafka-password" in line


async def test_a_client_without_a_user_can_do_nothing(secured_kafka):
    transport = KafkaTransport(secured_kafka.bootstrap, ready_timeout=5)
    with pytest.raises(ConnectionError):
        await transport.start()
    admin = AIOKafkaAdminClient(bootstrap_servers=secured_kafka.bootstrap)
    with pytest.raises(KafkaConnectionError):
        await admin.start()
    await admin.close()


async def test_rs_can_neither_read_me_s_inbox_nor_join_me_s_group(secured_kafka):
    topics = await secured_kafka.network(["RS", "ME"])
    rs, me = secured_kafka.user("RS"), secured_kafka.user("ME")
    sender = KafkaTransport(secured_kafka.bootstrap, credentials=rs)
    await sender.start()
    try:  # RS may write to ME's inbox: that is what it is for
        placed = await sender.send_batch([Record(topic=topics.inbox("ME"), value=b"<for ME/>", key=b"k")])
        assert placed[0].offset is not None
    finally:
        await sender.stop()

    async def first_batch(credentials, group):
        consumer = AIOKafkaConsumer(
            topics.inbox("ME"),
            bootstrap_servers=secured_kafka.bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            **connection_options(credentials),
        )
        try:
            await consumer.start()
            for _ in range(40):
                batch = await consumer.getmany(timeout_ms=250)
                if batch:
                    return [m.value for msgs in batch.values() for m in msgs]
            return []
        finally:
            await consumer.stop()

    with pytest.raises(GroupAuthorizationFailedError):  # ME's group: RS cannot join it and take its partitions
        await first_batch(rs, node_group(topics, "ME"))
    with pytest.raises(TopicAuthorizationFailedError):  # nor read ME's inbox in a group of its own
        await first_batch(rs, None)
    assert await first_batch(me, node_group(topics, "ME")) == [b"<for ME/>"]  # ME reads it, in its group


@pytest.mark.parametrize("who", ["outsider", "RS"])
async def test_a_user_without_the_right_cannot_delete_or_reconfigure_a_topic(secured_kafka, who):
    topics = await secured_kafka.network(["RS", "ME"], extra_users=("outsider",))
    target = topics.inbox("ME")

    async def as_(credentials):
        admin = AIOKafkaAdminClient(bootstrap_servers=secured_kafka.bootstrap, **connection_options(credentials))
        await admin.start()
        return admin

    intruder = await as_(secured_kafka.user(who))
    try:
        deleted = await intruder.delete_topics([target])
        assert [code for _topic, code, *_ in deleted.topic_error_codes] == [NOT_AUTHORISED]
        altered = await intruder.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, target, {"max.message.bytes": "1000"})]
        )
        assert [r[0] for resp in altered for r in resp.resources] == [NOT_AUTHORISED]
    finally:
        await intruder.close()
    admin = await as_(secured_kafka.admin)
    try:  # the topic is still there, its size limit untouched
        assert target in await admin.list_topics()
        described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, target)])
        entries = {e[0]: e[1] for resp in described for res in resp.resources for e in res[4]}
        assert entries["max.message.bytes"] != "1000"
    finally:
        await admin.close()


async def test_rs_and_me_exchange_each_logged_in_as_itself(secured_kafka, tmp_path):
    topics = await secured_kafka.network(["RS", "ME"], extra_users=(MONITOR_USER,))
    n = 5
    observer = KafkaTransport(secured_kafka.bootstrap, credentials=secured_kafka.user(MONITOR_USER))
    login = lambda node: secured_kafka.env(secured_kafka.user(node))  # noqa: E731
    async with rs_and_me(secured_kafka.bootstrap, topics.prefix, tmp_path, observer, login) as pair:
        await pair.exits(await pair.send_exports(11, n))
        done = await pair.summary.wait_for(lambda s: s.count(Stage.ACK_RECEIVED, "ExportData") >= n, timeout=60)
        assert done, pair.log_tails()
        assert pair.summary.count(Stage.VALID, "ExportData") == n
        assert pair.summary.count(Stage.ACK_RECEIVED, "ExportData") == n
        for log in pair.logs.values():
            assert "Traceback" not in log.read_text()


def test_kafka_setup_makes_a_networks_topics_users_and_acls_and_only_the_administrator_may(secured_kafka):
    prefix = f"setup-{uuid.uuid4().hex[:8]}"
    users = f"RS={secured_kafka.password('RS')},ME={secured_kafka.password('ME')}"
    args = ("kafka", "setup", "--kafka", secured_kafka.bootstrap, "--nodes", "RS,ME", "--topic-prefix", prefix)
    admin = secured_kafka.env(secured_kafka.admin)
    done = seedsim(*args, "--users", users, env=admin)  # as the broker's super user
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert f"prefix {prefix}: 6 topics, 2 user(s) set" in done.stdout
    assert f"RS: read topic {prefix}.inbox.rs\n" in done.stdout and f"RS: read group {prefix}-node-rs\n" in done.stdout
    assert (
        f"RS: write topic {prefix}.inbox.me\n" in done.stdout and f"ME: write topic {prefix}.inbox.rs\n" in done.stdout
    )
    assert f"monitor: read topic {prefix}.*" in done.stdout
    again = seedsim(*args, "--users", users, env=admin)
    assert again.returncode == 0, again.stderr  # doing it again changes nothing
    line = one_line_refusal(seedsim(*args[:-1], f"{prefix}-2", env=secured_kafka.env(secured_kafka.user("RS"))))
    assert "user RS" in line and "may not create it" in line and "administrator" in line
