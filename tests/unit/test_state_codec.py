"""The dialog-state codec writes and reads exactly jsonpickle's documents, faster for plain dialog state."""

from __future__ import annotations

import math
import random
from typing import Any

import jsonpickle
import pytest
from botbuilder.dialogs import DialogInstance, DialogState

from domain.case import Person
from domain.reporting import ReportDraft
from storage import state_codec


class Custom:
    """A class the codec does not know: jsonpickle handles it, as before."""

    def __init__(self, value: Any) -> None:
        self.value = value


def report_state(index: int = 7) -> dict[str, Any]:
    draft = ReportDraft(
        case_id="c" * 32,
        reporter=Person(user_id="29:anne", name="Anne Jensen", aad_object_id="aad-anne"),
        tenant_id="tenant-1",
        service_url="https://smba.trafficmanager.net/emea/",
    )
    draft.incident.description = 'En borger skrev i en Facebook-gruppe at jeg er inkompetent. «Æøå» \u2028 "citat"'
    draft.incident.links = ["https://www.facebook.com/groups/1/posts/2"]
    instance = DialogInstance("report", {"draft": draft.model_dump(mode="json"), "index": index, "editing": False})
    return {"DialogState": DialogState([instance])}


def random_value(rnd: random.Random, depth: int = 0) -> Any:
    choice = rnd.randrange(9 if depth < 4 else 5)
    if choice == 0:
        return rnd.choice(["", "æøå", 'a"b\\c\n', "py/object", "\u2028", "x" * 40])
    if choice == 1:
        return rnd.randrange(-(10**12), 10**12)
    if choice == 2:
        return rnd.choice([True, False, None])
    if choice == 3:
        return rnd.choice([0.1, -2.5e300, 1e-9, 3.0])
    if choice == 4:
        return "answer"
    if choice in (5, 6):
        keys = ["zeta", "alpha", "Æ", "1", "e_tag"]
        return {rnd.choice(keys) + str(rnd.randrange(3)): random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))}
    if choice == 7:
        return [random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    return DialogInstance(rnd.choice(["report", "choose_leader", None]), {"nested": random_value(rnd, depth + 1)})


def random_state(rnd: random.Random) -> dict[str, Any]:
    stack = [DialogInstance("x", {"value": random_value(rnd)}) for _ in range(rnd.randrange(3))]
    return {"DialogState": DialogState(stack), "other": random_value(rnd)}


def assert_same_as_jsonpickle(state: Any) -> None:
    text = jsonpickle.encode(state)
    assert state_codec.encode(state) == text
    decoded = state_codec.decode(text)
    assert jsonpickle.encode(decoded) == text
    assert type(decoded) is type(jsonpickle.decode(text))


def test_the_dialog_classes_are_known() -> None:
    assert set(state_codec.KNOWN_CLASSES.values()) == {DialogState, DialogInstance}


def test_a_report_in_the_middle_of_the_walk_round_trips_through_the_fast_path() -> None:
    state = report_state()
    state_codec._flatten(state, set())  # plain: no fallback to jsonpickle

    assert_same_as_jsonpickle(state)
    decoded = state_codec.decode(state_codec.encode(state))
    instance = decoded["DialogState"].dialog_stack[0]
    assert isinstance(instance, DialogInstance) and instance.id == "report"
    assert instance.state == report_state()["DialogState"].dialog_stack[0].state


def test_many_random_states_are_byte_for_byte_what_jsonpickle_writes() -> None:
    rnd = random.Random(20261125)
    for _ in range(2000):
        assert_same_as_jsonpickle(random_state(rnd))


@pytest.mark.parametrize(
    "unusual",
    [
        (1, 2),
        {1: "a number as key"},
        {"py/tuple": [1]},
        float("nan"),
        math.inf,
        {3, 4},
        b"bytes",
        Custom({"a": [1]}),
    ],
    ids=["tuple", "int-key", "tag-like-key", "nan", "inf", "set", "bytes", "unknown-class"],
)
def test_anything_unusual_goes_through_jsonpickle_unchanged(unusual: Any) -> None:
    state = report_state()
    state["DialogState"].dialog_stack[0].state["unusual"] = unusual

    assert_same_as_jsonpickle(state)


def test_a_value_met_twice_keeps_jsonpickles_reference() -> None:
    shared = {"same": ["list"]}
    state = {"DialogState": DialogState([DialogInstance("a", shared), DialogInstance("b", shared)])}

    assert_same_as_jsonpickle(state)
    decoded = state_codec.decode(state_codec.encode(state))
    first, second = decoded["DialogState"].dialog_stack
    assert first.state is second.state


def test_an_unknown_class_in_a_stored_document_is_left_to_jsonpickle() -> None:
    text = jsonpickle.encode({"DialogState": DialogState([DialogInstance("a", {"custom": Custom(5)})])})

    decoded = state_codec.decode(text)

    assert isinstance(decoded["DialogState"].dialog_stack[0].state["custom"], Custom)
