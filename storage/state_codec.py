"""jsonpickle's format for dialog state, written and read without jsonpickle's generic machinery when it can be.

Dialog state is almost always a `DialogState` holding `DialogInstance`s whose `state` is plain JSON (the
report dialog keeps its draft as `model_dump(mode="json")`). jsonpickle handles that like any object graph:
per value it checks a dozen cases (references, reduce protocols, slots, getstate ...), which made its
`Unpickler.restore` about 5 % of a report turn's CPU and `Pickler.flatten` about 3 % (py-spy, 50 users).

`encode()` and `decode()` produce and read exactly what `jsonpickle.encode` / `jsonpickle.decode` do, through
jsonpickle's own JSON backend, but walk the values themselves when everything in them is plain JSON
(str keys, str/int/float/bool/None, lists, dicts) or an instance of a class in `KNOWN_CLASSES` with a plain
`__dict__`. Anything else - a tuple, a set, a non-str key, NaN, a `py/...` tag other than a known
`py/object`, an object or container met twice (jsonpickle writes `py/id` references for those), an object
with `__getstate__`/`__slots__` of its own - makes the whole value go through jsonpickle, as before. So the
stored documents stay jsonpickle documents that any version of this bot, or stock botbuilder, reads; the
tests compare the bytes with `jsonpickle.encode` for many shapes of state.

Reading is also narrower than jsonpickle's: the fast path instantiates only `KNOWN_CLASSES` (by name);
any other `py/object` is left to jsonpickle exactly as before.

Measured in-process on a report draft in the middle of the walk (2,000 calls): encode 40 -> 13.5 us, decode
41 -> 9.7 us. In `benchmarks/load.py` (py-spy, 50 users) jsonpickle's decode had been 5.8 % and its encode 3.1 %
of the samples once the hashing was gone; `decode` and `encode` here are 1.3 % and 1.5 %.
`tests/unit/test_state_codec.py` compares the bytes with jsonpickle's for 2,000 random states and the
unusual shapes above.
"""

from __future__ import annotations

import math
from typing import Any

import jsonpickle
from botbuilder.dialogs import DialogInstance, DialogState

OBJECT_TAG = "py/object"
_TAG_PREFIX = "py/"


def _class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _has_plain_dict(cls: type) -> bool:
    """Instances that jsonpickle flattens as {"py/object": name, **vars(instance)}."""
    return (
        getattr(cls, "__getstate__", object.__getstate__) is object.__getstate__
        and not hasattr(cls, "__setstate__")
        and not hasattr(cls, "__slots__")
        and not hasattr(cls, "__getnewargs__")
        and not hasattr(cls, "__getnewargs_ex__")
        and cls.__reduce_ex__ is object.__reduce_ex__
        and cls.__reduce__ is object.__reduce__
    )


KNOWN_CLASSES: dict[str, type] = {
    _class_name(cls): cls for cls in (DialogState, DialogInstance) if _has_plain_dict(cls)
}
_NAME_OF = {cls: name for name, cls in KNOWN_CLASSES.items()}


class _NotPlain(Exception):
    """The value needs jsonpickle's generic handling."""


def encode(value: Any) -> str:
    """What `jsonpickle.encode(value)` returns."""
    try:
        flat = _flatten(value, set())
    except _NotPlain:
        return jsonpickle.encode(value)
    return jsonpickle.json.encode(flat)


def decode(text: str) -> Any:
    """What `jsonpickle.decode(text)` returns."""
    data = jsonpickle.json.decode(text)
    try:
        return _restore(data)
    except _NotPlain:
        return jsonpickle.decode(text)


def _flatten(value: Any, seen: set[int]) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _NotPlain
        return value
    if id(value) in seen:
        raise _NotPlain  # jsonpickle would write a py/id reference
    seen.add(id(value))
    if kind is dict:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str or key.startswith(_TAG_PREFIX):
                raise _NotPlain
            flat[key] = _flatten(item, seen)
        return flat
    if kind is list:
        return [_flatten(item, seen) for item in value]
    name = _NAME_OF.get(kind)
    if name is None:
        raise _NotPlain
    flat = {OBJECT_TAG: name}
    for key, item in vars(value).items():
        if type(key) is not str or key.startswith(_TAG_PREFIX):
            raise _NotPlain
        flat[key] = _flatten(item, seen)
    return flat


def _restore(data: Any) -> Any:
    kind = type(data)
    if kind is dict:
        name = data.get(OBJECT_TAG)
        if name is not None:
            cls = KNOWN_CLASSES.get(name) if type(name) is str else None
            if cls is None:
                raise _NotPlain
            instance = cls.__new__(cls)
            attributes = instance.__dict__
            for key, item in data.items():
                if key != OBJECT_TAG:
                    if key.startswith(_TAG_PREFIX):
                        raise _NotPlain
                    attributes[key] = _restore(item)
            return instance
        restored = {}
        for key, item in data.items():
            if key.startswith(_TAG_PREFIX):
                raise _NotPlain
            restored[key] = _restore(item)
        return restored
    if kind is list:
        return [_restore(item) for item in data]
    return data
