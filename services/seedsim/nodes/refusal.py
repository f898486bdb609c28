"""Why a node will not act on a request: the refusal and the rule ids of a node's API.

A node answers every request it cannot act on the way it answers a document it
refuses: with issues that each carry a rule id, an eTIR-style class, a pointer
to what is wrong, the offending value and a sentence saying what to do
(:class:`seedsim.core.validation.Issue`). Handlers raise :class:`Refusal` with
those issues and what kind of refusal it is; the HTTP face
(:mod:`seedsim.nodes.http_errors`) turns the kind into a status code and the
issues into the one error body every endpoint of every node answers with.

The rule ids of the API itself:

* ``API100`` -- the body is not valid JSON;
* ``API101`` -- a field or parameter is missing, or has a value the endpoint does not take;
* ``API102`` -- the body's content type is not one the endpoint reads;
* ``API103`` -- no such endpoint, or not with this method;
* ``API104`` -- an event names an office the node cannot act at (not a customs
  office reference number, not in the node's country, an office of entry that is
  not a neighbour's);
* ``API201`` -- the node holds no such thing (consignment, message, issued document);
* ``API202`` -- the node cannot act on it in the state it is in (lodge the declaration first, ...);
* ``API301`` -- the node named is not a partner of this node.
"""

from __future__ import annotations

from enum import Enum

from seedsim.core.validation import Issue


class Why(str, Enum):
    """The kind of a refusal; the HTTP face maps each to its status code."""

    MALFORMED = "malformed"  # the request cannot be read as the endpoint's input
    REFUSED = "refused"  # read, and refused by the node's rules
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # not in the state the node is in
    UNSUPPORTED = "unsupported"  # a body of a content type the endpoint does not read
    TOO_LARGE = "too_large"  # a body over the node's size limit


class Refusal(Exception):
    """The node will not act on a request; ``issues`` say why, each with its rule id."""

    def __init__(self, why: Why, *issues: Issue):
        super().__init__("; ".join(i.message for i in issues))
        self.why = why
        self.issues = list(issues)


def not_json(detail: str) -> Issue:
    return Issue("API100", 170, f"the body is not valid JSON ({detail}): send a JSON object", "/")


def bad_field(message: str, pointer: str | None = None, value: str | None = None) -> Issue:
    return Issue("API101", 171, message, pointer, value)


def unsupported_content(message: str, value: str | None = None) -> Issue:
    return Issue("API102", 172, message, "Content-Type", value)


def no_endpoint(message: str, value: str | None = None) -> Issue:
    return Issue("API103", 173, message, None, value)


def bad_office(message: str, pointer: str, value: str | None) -> Issue:
    return Issue("API104", 174, message, pointer, value)


def not_held(message: str, pointer: str | None = None, value: str | None = None) -> Issue:
    return Issue("API201", 205, message, pointer, value)


def not_now(message: str, pointer: str | None = None, value: str | None = None) -> Issue:
    return Issue("API202", 206, message, pointer, value)


def not_a_partner(message: str, pointer: str | None = None, value: str | None = None) -> Issue:
    return Issue("API301", 304, message, pointer, value)
