"""The incoming activity read into botbuilder's `Activity` as msrest's `Activity().deserialize(body)` reads it, faster.

msrest's generic deserializer walks every attribute of every model through its type dispatch: per attribute it
copies the attribute description, runs the key extractors (a regular expression split for flattened keys),
and builds the set of known keys again for each model to find additional properties. For one Teams message
(from, conversation, recipient, channelData, an entity, a card's value) that is ~110 us on this machine, and
in `benchmarks/load.py` `Model.deserialize` was 6.4-9.3 % of the bot's CPU samples at 50 users.

`read_activity` does the same work with a plan made once per model class from its `_attribute_map`: the
attribute, its JSON key and a converter per type. The common JSON shapes are converted directly - str for
"str", bool for "bool", int for "int", float for "float", plain JSON for "object" (copied, as msrest copies
it), lists for "[T]", dicts for "{T}", dicts for models, and timestamps in the shapes Teams sends (with
isodate's tzinfo classes, as msrest builds them: `_timestamp`) - and everything else goes to msrest's own
`Deserializer.deserialize_data` for that one value: other timestamps, numbers given as text, non-JSON values,
models given as something other than a dict. Additional properties (the keys a model does not know, e.g. a
mention's "mentioned" and "text" on an Entity) are collected as msrest does. A model class msrest would treat
specially (flattened or escaped keys, polymorphic `_subtype_map`, read-only or constant attributes, a real
additionalProperties attribute) is read by msrest entirely; botbuilder 4.17.1's schema has none of these.

The result is equal to msrest's, attribute by attribute, with the same types (tests/unit/test_inbound_activity.py
compares both on the activities the tests send, on Teams-shaped invokes, and on generated bodies with wrong
types in every field); errors are msrest's errors, raised by msrest for the value it could not read.
Measured in-process (min of 5 x 2,000): 105-108 -> 24 us for a card answer from Teams with an entity and two
timestamps (~12 us of the 24 were isodate's parse of the timestamps; now read directly for the shapes Teams
sends, 7.4 -> 1.7 us a timestamp, see `_timestamp`); a turn that answers with one card
(`CloudAdapter.process_activity`, CPU of all threads, min of 5 x 300 turns, three sessions) 374-395 ->
297-302 us.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from datetime import tzinfo as tzinfo_type
from enum import Enum
from typing import Any

import isodate
from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model

Converter = Callable[[Any], Any]

_MODELS: dict[str, Any] = Activity._infer_class_models()  # what `Model.deserialize` gives its Deserializer
_MSREST = Deserializer(_MODELS)


class _NotPlain(Exception):
    """A value the plain-JSON copy does not handle exactly like msrest: msrest reads the whole value."""


def _msrest(data_type: str) -> Converter:
    return lambda raw: _MSREST.deserialize_data(raw, data_type)


def _exact(kind: type, data_type: str) -> Converter:
    slow = _msrest(data_type)
    return lambda raw: raw if type(raw) is kind else slow(raw)


def _plain_copy(value: Any) -> Any:
    """What msrest's `deserialize_object` makes of a JSON value: an equal copy (new dicts and lists)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            copied[key] = _plain_copy(item)
        return copied
    if kind is list:
        return [_plain_copy(item) for item in value]
    raise _NotPlain


def _object() -> Converter:
    slow = _msrest("object")

    def convert(raw: Any) -> Any:
        try:
            return _plain_copy(raw)
        except _NotPlain:
            return slow(raw)

    return convert


def _list_of(item_type: str) -> Converter:
    slow, item = _msrest(f"[{item_type}]"), _converter(item_type)

    def convert(raw: Any) -> Any:
        if type(raw) is not list:
            return slow(raw)
        return [None if value is None else item(value) for value in raw]

    return convert


def _dict_of(item_type: str) -> Converter:
    slow, item = _msrest(f"{{{item_type}}}"), _converter(item_type)

    def convert(raw: Any) -> Any:
        if type(raw) is not dict:
            return slow(raw)
        return {key: None if value is None else item(value) for key, value in raw.items()}

    return convert


class _ModelPlan:
    """How to read one model class: (attribute, JSON key, converter) per attribute, and the known keys."""

    def __init__(self, cls: type[Model]) -> None:
        self.cls = cls
        self.fields: list[tuple[str, str, Converter]] = []
        self.known_keys: frozenset[str] = frozenset()

    def build(self) -> None:
        attributes = self.cls._attribute_map
        self.fields = [(name, about["key"], _converter(about["type"])) for name, about in attributes.items()]
        self.known_keys = frozenset(about["key"] for about in attributes.values())

    def read(self, data: dict[str, Any]) -> Model:
        values = {}
        for name, key, convert in self.fields:
            raw = data.get(key)
            values[name] = None if raw is None else convert(raw)
        model = self.cls(**values)
        extra = {key: value for key, value in data.items() if key not in self.known_keys}
        if extra:
            model.additional_properties = extra
        return model


_PLANS: dict[str, _ModelPlan] = {}


def _is_plain_model(cls: Any) -> bool:
    """A model msrest reads with nothing but key lookups (see the module docstring)."""
    if not (isinstance(cls, type) and issubclass(cls, Model)) or cls.__dict__.get("_subtype_map"):
        return False
    if any(config.get("readonly") or config.get("constant") for config in cls._validation.values()):
        return False
    for name, description in cls._attribute_map.items():
        key = description["key"]
        if not key or "." in key or "\\" in key or name == "additional_properties":
            return False
    return True


def _model(model_type: str) -> Converter:
    slow = _msrest(model_type)
    plan = _PLANS.get(model_type)
    if plan is None:
        plan = _PLANS[model_type] = _ModelPlan(_MODELS[model_type])
        plan.build()  # after registering it: models may refer to themselves (Activity.relates_to...)

    def convert(raw: Any) -> Any:
        return plan.read(raw) if type(raw) is dict else slow(raw)

    return convert


_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6})\d*)?(Z|([+-])(\d{2}):(\d{2}))", re.ASCII
)


def _timestamp() -> Converter:
    """msrest's "iso-8601" for the shapes Teams sends ("2026-11-26T05:10:54.1234567Z", "...+01:00"): the same
    datetime with the same tzinfo classes (isodate's UTC and FixedOffset; fractions cut to microseconds as msrest
    cuts them), built directly instead of through msrest's checks and isodate's general parser (~6 us a
    timestamp). Everything else, and the first and last years (msrest's range check), goes to msrest."""
    slow = _msrest("iso-8601")

    def convert(raw: Any) -> Any:
        match = _TIMESTAMP.fullmatch(raw) if type(raw) is str else None
        if match is None:
            return slow(raw)
        year, month, day, hour, minute, second, fraction, zone, sign, zone_hours, zone_minutes = match.groups()
        if year in ("0001", "9999"):
            return slow(raw)
        if zone == "Z":
            tzinfo: tzinfo_type = isodate.UTC
        else:
            direction = -1 if sign == "-" else 1
            tzinfo = isodate.FixedOffset(direction * int(zone_hours), direction * int(zone_minutes), zone)
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second),
                int(fraction.ljust(6, "0")) if fraction else 0,
                tzinfo=tzinfo,
            )
        except ValueError:  # e.g. a 30th of February or hour 24: msrest gives its own answer
            return slow(raw)

    return convert


def _converter(data_type: str) -> Converter:
    if data_type == "iso-8601":
        return _timestamp()
    if data_type == "str":
        return _exact(str, data_type)
    if data_type == "bool":
        return _exact(bool, data_type)
    if data_type == "int":
        return _exact(int, data_type)
    if data_type == "float":
        return _exact(float, data_type)
    if data_type == "object":
        return _object()
    if len(data_type) > 2 and data_type[0] == "[" and data_type[-1] == "]":
        return _list_of(data_type[1:-1])
    if len(data_type) > 2 and data_type[0] == "{" and data_type[-1] == "}":
        return _dict_of(data_type[1:-1])
    cls = _MODELS.get(data_type)
    if _is_plain_model(cls) and not issubclass(cls, Enum):
        return _model(data_type)
    return _msrest(data_type)


_ACTIVITY = _converter("Activity")


def read_activity(body: dict[str, Any]) -> Activity:
    """`Activity().deserialize(body)`, for the JSON object of a request body (msrest's errors on bad values)."""
    if type(body) is not dict:
        return Activity.deserialize(body)
    return _ACTIVITY(body)
