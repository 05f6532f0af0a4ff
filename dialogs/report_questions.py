"""The report's fact questions, in the order the guideline asks for them (what, where, when, who, witnesses).

A colleague reporting for someone names them: the one person the directory has by that name is linked (and told of
the case), several are offered to choose from, none keeps the name as typed. Nobody is linked by a guess."""

from __future__ import annotations

from cards import report as cards
from cards.markdown import escape_markdown
from dialogs.question import NEXT, STAY, Asking, Outcome, Question, Step
from dialogs.replies import Reply
from domain.case import Channel, HarassmentKind, Impact, Offender, OffenderRelation, Person, Witness
from domain.reporting import (
    DEFAULT_TIMEZONE,
    MAX_WITNESSES,
    clean_free_text,
    is_in_future,
    is_phone_number,
    parse_date_and_time,
    parse_links,
    parse_when,
)

MIN_DESCRIPTION = 3
KIND_VALUES = tuple(kind.value for kind in HarassmentKind)
CHANNEL_VALUES = tuple(channel.value for channel in Channel)
RELATION_VALUES = tuple(relation.value for relation in OffenderRelation)


def _numbered(text: str, options: tuple[str, ...]) -> list[str]:
    """Accept '1, 3' or option values typed as text (for clients without cards)."""
    picked: list[str] = []
    for piece in text.replace(",", " ").split():
        if piece.isdigit() and 1 <= int(piece) <= len(options):
            picked.append(options[int(piece) - 1])
        elif piece in options:
            picked.append(piece)
    return list(dict.fromkeys(picked))


class SafetyQuestion(Question):
    key = "safety"

    async def ask(self, asking: Asking) -> None:
        await asking.show(cards.safety_card(asking.texts))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        if reply.says("yes"):
            asking.draft.incident.urgent = True
            await asking.say(asking.texts("safety.emergency"))
            return NEXT
        if reply.says("no"):
            asking.draft.incident.urgent = False
            return NEXT
        await asking.say(asking.texts("common.not_understood"))
        return STAY


class SubjectQuestion(Question):
    key = "subject"

    async def ask(self, asking: Asking) -> None:
        await asking.show(cards.subject_card(asking.texts))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        if reply.answer == cards.EVIDENCE_FIRST:  # secure first, explain afterwards
            return Step(Outcome.DETOUR, "evidence")
        draft = asking.draft
        if reply.says("me", "yes"):
            draft.on_behalf_of, draft.on_behalf_person = None, None
            return NEXT
        if reply.value.get("answer") == "colleague_pick":
            return await self._picked(asking, reply)
        if reply.says("colleague", "no"):
            name = reply.field("colleague_name")[:200]
            if not name:
                await asking.say(asking.texts("subject.colleague_name_missing"))
                return STAY
            return await self._named(asking, name)
        await asking.say(asking.texts("common.not_understood"))
        return STAY

    async def _named(self, asking: Asking, name: str) -> Step:
        """The colleague the name means: the one person it matches is linked (and will be told); several are
        offered to choose from; none keeps the name as typed (nobody linked, nobody told)."""
        people = asking.services.notifications.people_named(name)
        if len(people) == 1:
            self._choose(asking, name, people[0])
            return NEXT
        if people:
            await asking.show(cards.colleague_choice_card(asking.texts, name, self._options(people)))
            return STAY
        await asking.say(asking.texts("subject.colleague_not_found", name=escape_markdown(name)))
        self._choose(asking, name, None)
        return NEXT

    async def _picked(self, asking: Asking, reply: Reply) -> Step:
        """The reporter's choice among the people the name matches; the directory is asked again, so only one of
        those can be chosen (a card's values are anyone's to forge)."""
        name = reply.field("colleague_name")[:200]
        chosen = reply.field("colleague_id")
        people = asking.services.notifications.people_named(name) if name else []
        if chosen == cards.NONE_OF_THEM and name:
            self._choose(asking, name, None)
            return NEXT
        person = next((p for p in people if p.aad_object_id and p.aad_object_id == chosen), None)
        if person is None:
            await asking.say(asking.texts("subject.colleague_pick_missing"))
            if people:
                await asking.show(cards.colleague_choice_card(asking.texts, name, self._options(people)))
            return STAY
        self._choose(asking, name, person)
        return NEXT

    @staticmethod
    def _options(people: list[Person]) -> list[tuple[str, str]]:
        return [(person.aad_object_id or "", person.name) for person in people if person.aad_object_id]

    @staticmethod
    def _choose(asking: Asking, name: str, person: Person | None) -> None:
        asking.draft.on_behalf_of = person.name if person is not None else name
        asking.draft.on_behalf_person = person


class KindsQuestion(Question):
    key = "kinds"

    async def ask(self, asking: Asking) -> None:
        await asking.show(cards.kinds_card(asking.texts, [k.value for k in asking.draft.incident.kinds]))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        raw = reply.value.get("kinds") if "kinds" in reply.value else reply.word
        picked = _numbered(raw if isinstance(raw, str) else "", KIND_VALUES)
        if not picked:
            await asking.say(asking.texts("kinds.missing"))
            return STAY
        asking.draft.incident.kinds = [HarassmentKind(value) for value in picked]
        return NEXT


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class ContextQuestion(Question):
    key = "context"

    async def ask(self, asking: Asking) -> None:
        incident = asking.draft.incident
        await asking.show(cards.context_card(asking.texts, incident.during_work_hours, incident.colleagues_targeted))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        if not reply.value:
            await asking.say(asking.texts("common.not_understood"))
            return STAY
        asking.draft.incident.during_work_hours = _yes_no(reply.field("during_work"))
        asking.draft.incident.colleagues_targeted = _yes_no(reply.field("colleagues_targeted"))
        return NEXT


class ChannelQuestion(Question):
    key = "channel"

    async def ask(self, asking: Asking) -> None:
        current = asking.draft.incident.channel
        await asking.show(cards.channel_card(asking.texts, current.value if current else None))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        typed = reply.field("channel") or reply.word
        picked = _numbered(typed, CHANNEL_VALUES) or self._by_label(asking, typed)
        if len(picked) != 1:
            await asking.say(asking.texts("common.not_understood"))
            return STAY
        asking.draft.incident.channel = Channel(picked[0])
        return NEXT

    def _by_label(self, asking: Asking, typed: str) -> list[str]:
        return [value for value in CHANNEL_VALUES if asking.texts(f"channel.{value}").lower() == typed]


class WhenQuestion(Question):
    key = "when"

    async def ask(self, asking: Asking) -> None:
        today = asking.services.clock.now().astimezone(DEFAULT_TIMEZONE).date().isoformat()
        await asking.show(cards.when_card(asking.texts, today))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        now = asking.services.clock.now()
        if reply.answer == "now":
            moment = now
        elif reply.field("date"):
            moment = parse_date_and_time(reply.field("date"), reply.field("time"))
        else:
            moment = parse_when(reply.text, now)
        if moment is None:
            await asking.say(asking.texts("when.invalid"))
            return STAY
        if is_in_future(moment, now):
            await asking.say(asking.texts("when.future"))
            return STAY
        asking.draft.incident.occurred_at = moment
        return NEXT


class DescriptionQuestion(Question):
    key = "description"
    expects_short_answer = False  # what happened, in the employee's own words: any length, any lines

    async def ask(self, asking: Asking) -> None:
        await asking.show(cards.description_card(asking.texts, asking.draft.incident.description))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        text = reply.field("description") or reply.text
        if len(text) < MIN_DESCRIPTION:
            await asking.say(asking.texts("description.too_short"))
            return STAY
        asking.draft.incident.description = text
        return NEXT


class OffenderQuestion(Question):
    key = "offender"

    async def ask(self, asking: Asking) -> None:
        offender = asking.draft.incident.offender
        colleague = asking.draft.on_behalf_of or ""
        card = cards.offender_card(asking.texts, offender.name, offender.profile, offender.relation.value, colleague)
        await asking.show(card)

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        if reply.says("unknown", "none"):
            asking.draft.incident.offender = Offender()
            return NEXT
        if not reply.value:
            asking.draft.incident.offender = Offender(name=reply.text[:200])
            return NEXT
        relation = reply.field("offender_relation")
        asking.draft.incident.offender = Offender(
            name=reply.field("offender_name")[:200],
            profile=reply.field("offender_profile")[:500],
            relation=OffenderRelation(relation) if relation in RELATION_VALUES else OffenderRelation.UNKNOWN,
        )
        return NEXT


class LinksQuestion(Question):
    key = "links"
    expects_short_answer = False  # one link a line

    async def ask(self, asking: Asking) -> None:
        await asking.show(cards.links_card(asking.texts, asking.draft.incident.links))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        if reply.says("none", "no_links"):
            asking.draft.incident.links = []
            return NEXT
        valid, invalid = parse_links(reply.field("links") or reply.text)
        if invalid or not valid:
            await asking.say(asking.texts("links.invalid", links=escape_markdown(", ".join(invalid)) or "–"))
            return STAY
        asking.draft.incident.links = valid
        return NEXT


class WitnessesQuestion(Question):
    key = "witnesses"

    async def ask(self, asking: Asking) -> None:
        names = [w.name for w in asking.draft.incident.witnesses]
        await asking.show(cards.witnesses_card(asking.texts, names))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        name, phone = reply.field("witness_name")[:200], reply.field("witness_phone")[:30]
        if not reply.value and reply.text and not reply.says("none", "done"):
            name, _, phone = (part.strip() for part in reply.text.partition(","))
        if name or phone:
            return await self._add(asking, name, phone)
        if reply.says("done", "none"):
            return NEXT
        await asking.say(asking.texts("witnesses.missing_name"))
        return STAY

    async def _add(self, asking: Asking, name: str, phone: str) -> Step:
        if not name:
            await asking.say(asking.texts("witnesses.missing_name"))
            return STAY
        if phone and not is_phone_number(phone):
            await asking.say(asking.texts("witnesses.invalid_phone"))
            return STAY
        witnesses = asking.draft.incident.witnesses
        if len(witnesses) < MAX_WITNESSES:
            witnesses.append(Witness(name=name, phone=phone))
        await asking.say(asking.texts("witnesses.added", name=escape_markdown(name)))
        await self.ask(asking)
        return STAY


class ImpactQuestion(Question):
    key = "impact"

    async def ask(self, asking: Asking) -> None:
        impact = asking.draft.incident.impact
        await asking.show(cards.impact_card(asking.texts, impact.score if impact else None))

    async def answer(self, asking: Asking, reply: Reply) -> Step:
        typed = reply.field("impact_score") or reply.word[:1]
        if typed not in ("1", "2", "3", "4", "5"):
            await asking.say(asking.texts("impact.missing"))
            return STAY
        impact = Impact(score=int(typed), text=clean_free_text(reply.field("impact_text"), 2000))
        asking.draft.incident.impact = impact
        if impact.is_strong:
            await asking.say(asking.texts("impact.strong"))
        return NEXT
