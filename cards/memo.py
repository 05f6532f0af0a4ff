"""Cards that are the same for everyone, built once: a memo of the finished card per builder, language, the
Texts' defaults (the crisis line) and the card's arguments.

Each report question and guidance card is a pure function of those, so `memoise` keeps the card, pickled,
in a bounded LRU per builder (CARDS_PER_BUILDER) and hands out a fresh copy (`pickle.loads`) on every call:
the caller owns its dict and may change it without touching the next person's card (one shared dict would
bind every sender to leave every card alone forever).
Arguments that hold the person's own words (a description, an offender's name, links, witnesses' names) are
named in `memoise(...)`: while they are filled in, the card is built as before and nothing is kept, so no
report text stays in memory. Lists are keyed as tuples. Cards with per-case data (leader, summary, status)
and the welcome card (the person's first name) are not memoised as a whole; `PartMemo` keeps parts of them that
are the same for every case (the leader's blank duty forms, `cards.leader.forms`).

tests/unit/test_card_cache.py compares every memoised card with a fresh build, in both languages; what the
memo saves is in benchmarks/README.md.
"""

from __future__ import annotations

import inspect
import pickle
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache, wraps
from typing import Any, Concatenate, NamedTuple, ParamSpec

from content import Texts

P = ParamSpec("P")
Card = dict[str, Any]
Builder = Callable[Concatenate[Texts, P], Card]

CARDS_PER_BUILDER = 32  # a question card in both languages with any likely answer; kinds' combinations the most
_memos: list[Any] = []  # every memoised builder's lru_cache


def memoise(*own_words: str) -> Callable[[Builder[P]], Builder[P]]:
    """Memoise a card builder `(texts, *args)`; `own_words` names the arguments that, when not empty, hold what
    the person wrote, so that card is built each time and not kept."""

    def decorate(builder: Builder[P]) -> Builder[P]:
        parameters = list(inspect.signature(builder).parameters)[1:]
        private = [parameters.index(name) for name in own_words]

        @lru_cache(maxsize=CARDS_PER_BUILDER, typed=True)
        def pickled(language: str, defaults: tuple[tuple[str, str], ...], *args: Hashable) -> bytes:
            card = builder(Texts(language, dict(defaults)), *args)  # type: ignore[arg-type]
            return pickle.dumps(card, pickle.HIGHEST_PROTOCOL)

        @wraps(builder)
        def card(texts: Texts, *args: P.args, **kwargs: P.kwargs) -> Card:
            if kwargs or any(args[index] for index in private):
                return builder(texts, *args, **kwargs)
            key = [tuple(arg) if type(arg) is list else arg for arg in args]
            return pickle.loads(pickled(*texts.identity, *key))

        _memos.append(pickled)
        return card

    return decorate


class PartMemo:
    """Finished parts of cards (JSON) by a key the caller gives, for parts that are a pure function of it even
    though the builder needs more (the leader's duty forms while nothing is recorded for them, whatever the
    case: `cards.leader.forms`). Bounded (LRU of `size`); `part` hands out a fresh copy each call, as `memoise`."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._parts: OrderedDict[Hashable, bytes] = OrderedDict()
        _memos.append(self)

    def part(self, key: Hashable, build: Callable[[], Card]) -> Card:
        pickled = self._parts.get(key)
        if pickled is None:
            pickled = self._parts[key] = pickle.dumps(build(), pickle.HIGHEST_PROTOCOL)
            if len(self._parts) > self._size:
                self._parts.popitem(last=False)
        else:
            self._parts.move_to_end(key)
        return pickle.loads(pickled)

    def cache_info(self) -> _MemoSize:
        return _MemoSize(len(self._parts))

    def cache_clear(self) -> None:
        self._parts.clear()


class _MemoSize(NamedTuple):
    currsize: int


def memoised_cards() -> int:
    """How many cards (and card parts) the memos hold now, all builders together."""
    return sum(memo.cache_info().currsize for memo in _memos)


def clear_card_memos() -> None:
    for memo in _memos:
        memo.cache_clear()
