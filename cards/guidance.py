"""Guidance cards: safe behaviour online and working with the citizen (FØR), getting content removed (Bilag 2,
evidence first, then one platform's steps with the EU Digital Services Act and help lines), and when harassment
is a crime.

The texts live in content/<language>/guidance.toml, the links to public services (politi.dk, the platforms'
report forms, Digitalt Ansvar, Offerrådgivningen) and the municipality's SafetyNet (when it is filled in) in
content/<language>/links.toml, never in code. Tips,
evidence steps and platform steps are numbered keys (`tip_1_title`, `evidence_1`, `step_1` …) shown for as long
as the numbers follow on, so the municipality can add or remove one without touching code. Buttons inside Værn
are Action.Submit with a `command` (and `platform`); links out are Action.OpenUrl. At most two to a row, so no
title is cut on a phone (360 px).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import card as ac
from adaptive_cards import types as act

from cards.common import build_card, heading, open_url, paragraph, submit
from cards.memo import memoise
from cards.response_plan import PLAN_SHOW_COMMAND
from content import Texts
from domain.case import Channel

Card = dict[str, Any]

PREVENTION_COMMAND = "prevention"
CITIZEN_COMMAND = "citizen"  # the guideline's advice for working with the citizen (FØR)
REMOVAL_COMMAND = "removal"  # without a platform: the overview; with one: that platform's steps
LAW_COMMAND = "law"
REPORT_COMMAND = "report"

# Where content can be reported, in the order the overview offers them. Each has a [removal_<platform>] section.
PLATFORMS: tuple[str, ...] = (
    "facebook",
    "instagram",
    "x",
    "tiktok",
    "youtube",
    "linkedin",
    "snapchat",
    "google",
    "trustpilot",
    "websites",
)
# The report's channel → the platform whose steps apply; e-mail, SMS, phone and "other" have none.
_CHANNEL_PLATFORMS: dict[Channel, str] = {
    Channel.FACEBOOK: "facebook",
    Channel.INSTAGRAM: "instagram",
    Channel.X: "x",
    Channel.TIKTOK: "tiktok",
    Channel.YOUTUBE: "youtube",
    Channel.LINKEDIN: "linkedin",
    Channel.SNAPCHAT: "snapchat",
    Channel.GOOGLE_REVIEW: "google",
    Channel.TRUSTPILOT: "trustpilot",
    Channel.WEB_PAGE: "websites",
}
BUTTONS_PER_ROW = 2
MAX_NUMBERED = 30  # a guard against a runaway loop, far above any real list
LAW_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("s119a_title", ("s119a_text",)),
    ("s119_title", ("s119_text",)),
    ("s266_title", ("s266_text",)),
    ("s267_title", ("s267_text",)),
    ("s275_title", ("s275_text", "s275_request_text")),
    ("s264d_title", ("s264d_text",)),
    ("s242_title", ("s242_text",)),
    ("tilhold_title", ("tilhold_text",)),
    ("report_title", ("report_text", "compensation_text")),
)


def platform_for(channel: Channel | None) -> str | None:
    """The platform whose removal steps fit the channel of a report, if there is one."""
    return _CHANNEL_PLATFORMS.get(channel) if channel is not None else None


def is_platform(value: object) -> bool:
    return isinstance(value, str) and value in PLATFORMS


def numbered(texts: Texts, section: str, prefix: str, suffix: str = "") -> list[str]:
    """The keys `<section>.<prefix>1<suffix>`, `…2…` and on, for as long as the content has them."""
    keys: list[str] = []
    for number in range(1, MAX_NUMBERED + 1):
        key = f"{section}.{prefix}{number}{suffix}"
        if not texts.has(key):
            break
        keys.append(key)
    return keys


def platform_steps(texts: Texts, platform: str) -> list[str]:
    """One platform's reporting steps, in order (filled in, ready to show)."""
    return [texts(key) for key in numbered(texts, f"removal_{platform}", "step_")]


def _bold(text: str, *, separator: bool = False) -> ac.TextBlock:
    return ac.TextBlock(
        text=text,
        wrap=True,
        weight=act.FontWeight.BOLDER,
        separator=separator or None,
        spacing=act.Spacing.MEDIUM,
    )


def _rows(actions: Sequence[ac.ActionSubmit | ac.ActionOpenUrl]) -> list[ac.ActionSet]:
    """Buttons two to a row, each row its own ActionSet in the body."""
    return [
        ac.ActionSet(actions=list(actions[start : start + BUTTONS_PER_ROW]))
        for start in range(0, len(actions), BUTTONS_PER_ROW)
    ]


LINKS = "service_links"  # the section of content/<language>/links.toml


def link(texts: Texts, name: str) -> ac.ActionOpenUrl:
    """The button to a public service named in content's [service_links] (`<name>_title`, `<name>_url`)."""
    return open_url(texts(f"{LINKS}.{name}_title"), texts(f"{LINKS}.{name}_url"))


def configured_link(texts: Texts, name: str) -> ac.ActionOpenUrl | None:
    """The button to a service whose link the municipality may leave out (SafetyNet, its own internal system):
    only when content's [service_links] has a `<name>_url` that is not empty; never a dead button."""
    key = f"{LINKS}.{name}_url"
    if not texts.has(key) or not texts(key).strip():
        return None
    return open_url(texts(f"{LINKS}.{name}_title"), texts(key).strip())


def platform_link(texts: Texts, platform: str) -> ac.ActionOpenUrl | None:
    """The button to a platform's own report form or help page, if content has a link for it."""
    key = f"{LINKS}.{platform}_url"
    if not texts.has(key):
        return None
    return open_url(texts(f"{LINKS}.platform_title", platform=_platform_name(texts, platform)), texts(key))


def _numbered_list(lines: Sequence[str]) -> list[ac.ColumnSet]:
    """Numbered steps as two columns (number, text): Markdown list syntax ("1. …") is indented by the
    renderers and cuts long lines off on a phone."""
    return [
        ac.ColumnSet(
            spacing=act.Spacing.SMALL,
            columns=[
                ac.Column(width="auto", items=[ac.TextBlock(text=f"{number}", weight=act.FontWeight.BOLDER)]),
                ac.Column(width="stretch", items=[ac.TextBlock(text=line, wrap=True)]),
            ],
        )
        for number, line in enumerate(lines, start=1)
    ]


@memoise()
def prevention_card(texts: Texts) -> Card:
    """The guideline's advice on safe behaviour online, one short block per tip."""
    body: list[Any] = [heading(texts("prevention.title")), paragraph(texts("prevention.intro"))]
    for title_key in numbered(texts, "prevention", "tip_", "_title"):
        body.append(_bold(texts(title_key)))
        body.append(ac.TextBlock(text=texts(title_key.removesuffix("_title") + "_text"), wrap=True))
    body.append(paragraph(texts("prevention.outro"), color=act.Colors.ACCENT))
    body += _rows(
        [
            submit(texts("prevention.report_button"), {"command": REPORT_COMMAND}, primary=True),
            submit(texts("prevention.removal_button"), {"command": REMOVAL_COMMAND}),
            submit(texts("prevention.law_button"), {"command": LAW_COMMAND}),
            submit(texts("prevention.citizen_button"), {"command": CITIZEN_COMMAND}),
        ]
    )
    return build_card(texts, body)


@memoise()
def citizen_card(texts: Texts) -> Card:
    """The guideline's frame for working with the citizen: end the conversation, time-out, call a leader or
    colleague, a new meeting, another caseworker, a function mailbox, clear information; and the duty to follow
    the local beredskabsplan, with a button to it."""
    body: list[Any] = [heading(texts("citizen.title")), paragraph(texts("citizen.intro"))]
    for title_key in numbered(texts, "citizen", "tip_", "_title"):
        body.append(_bold(texts(title_key)))
        body.append(ac.TextBlock(text=texts(title_key.removesuffix("_title") + "_text"), wrap=True))
    body.append(paragraph(texts("citizen.plan"), color=act.Colors.ATTENTION))
    body.append(paragraph(texts("citizen.outro"), color=act.Colors.ACCENT))
    body += _rows(
        [
            submit(texts("citizen.plan_button"), {"command": PLAN_SHOW_COMMAND}, primary=True),
            submit(texts("citizen.report_button"), {"command": REPORT_COMMAND}),
        ]
    )
    return build_card(texts, body)


def _platform_name(texts: Texts, platform: str) -> str:
    return texts(f"removal_{platform}.name")


def _platform_title(texts: Texts, platform: str) -> str:
    """The platform card's heading: its own `title` where "Anmeld på {name}" does not read well (a name that
    is not a proper noun, "Andre hjemmesider"), else the common one."""
    own = f"removal_{platform}.title"
    if texts.has(own):
        return texts(own)
    return texts("removal_guide.platform_title", platform=_platform_name(texts, platform))


@memoise()
def removal_overview_card(texts: Texts) -> Card:
    """Bilag 2: secure the evidence first, then choose where the content is."""
    evidence = [texts(key) for key in numbered(texts, "removal_guide", "evidence_")]
    body: list[Any] = [
        heading(texts("removal_guide.title")),
        paragraph(texts("removal_guide.intro")),
        paragraph(texts("removal_guide.leader_first"), color=act.Colors.ATTENTION),
        _bold(texts("removal_guide.evidence_title"), separator=True),
        *_numbered_list(evidence),
        _bold(texts("removal_guide.choose_platform"), separator=True),
        *_rows(
            [
                submit(_platform_name(texts, platform), {"command": REMOVAL_COMMAND, "platform": platform})
                for platform in PLATFORMS
            ]
        ),
    ]
    return build_card(texts, body)


@memoise()
def removal_platform_card(texts: Texts, platform: str) -> Card:
    """One platform's reporting steps with a link to its report form (where content has one), the DSA notice and
    complaint path, and where to get help (links to Digitalt Ansvar and Offerrådgivningen).

    Raises KeyError for a platform that is not in PLATFORMS (check with `is_platform` first)."""
    if not is_platform(platform):
        raise KeyError(platform)
    form = platform_link(texts, platform)
    body: list[Any] = [
        heading(_platform_title(texts, platform)),
        paragraph(texts("removal_guide.leader_first"), color=act.Colors.ATTENTION),
        *_numbered_list(platform_steps(texts, platform)),
        *([ac.ActionSet(actions=[form])] if form is not None else []),
        _bold(texts("removal_guide.dsa_title"), separator=True),
        paragraph(texts("removal_guide.dsa_notice")),
        paragraph(texts("removal_guide.dsa_complaint")),
        _bold(texts("removal_guide.help_title"), separator=True),
        paragraph(texts("removal_guide.help_text")),
        *_rows([link(texts, "digitalt_ansvar"), link(texts, "offerraadgivning")]),
        *_rows(
            [
                submit(texts("removal_guide.back_button"), {"command": REMOVAL_COMMAND}),
                submit(texts("removal_guide.law_button"), {"command": LAW_COMMAND}),
            ]
        ),
    ]
    return build_card(texts, body)


@memoise()
def law_card(texts: Texts) -> Card:
    """Straffeloven in plain words: §§ 119 a, 119, 266, 267/268 with 275, 264 d, 242; kontaktforbud vs. tilhold;
    how to report (with the link to politi.dk), and the 72-hour note on offererstatning to check with Jura."""
    body: list[Any] = [
        heading(texts("law.title")),
        paragraph(texts("law.intro")),
        paragraph(texts("law.jura"), color=act.Colors.ATTENTION),
    ]
    for title_key, text_keys in LAW_SECTIONS:
        body.append(_bold(texts(f"law.{title_key}"), separator=True))
        body += [ac.TextBlock(text=texts(f"law.{key}"), wrap=True) for key in text_keys]
    body.append(ac.ActionSet(actions=[link(texts, "politi")]))
    body += _rows(
        [
            submit(texts("law.report_button"), {"command": REPORT_COMMAND}),
            submit(texts("law.removal_button"), {"command": REMOVAL_COMMAND}),
        ]
    )
    return build_card(texts, body)
