"""The privacy notice card says what a data protection officer expects (GDPR art. 13) in plain Danish and English:
the legal basis is not consent, the periods are the configured ones, the rights end in Datatilsynet, and the data
protection officer is whoever the settings name."""

from __future__ import annotations

from html import escape

import pytest

from cards.privacy import DataProtectionOfficer, privacy_notice_card
from cards.validation import teams_card_problems
from content import SUPPORTED, texts_for
from domain.retention import RetentionPolicy
from tests.support.teams import card_texts

CRISIS_LINE = "89 70 12 99"
OFFICER = DataProtectionOfficer("Dorte *Databeskyttelse*", "dpo@kommune.dk", "89 70 10 00")


def notice(language: str, retention: RetentionPolicy | None = None, officer: DataProtectionOfficer = OFFICER) -> str:
    card = privacy_notice_card(texts_for(language, CRISIS_LINE), retention or RetentionPolicy(), officer)
    assert teams_card_problems(card) == []
    return "\n".join(card_texts(card))


@pytest.mark.parametrize("language", SUPPORTED)
def test_the_legal_basis_is_the_employers_duties_and_not_consent(language: str) -> None:
    text = notice(language)
    basis = ["6, stk. 1, litra c og e", "9, stk. 2, litra b", "§ 12"] if language == "da" else ["6(1)(c)", "9(2)(b)"]
    assert all(part in text for part in basis), basis
    assert ("ikke på samtykke" if language == "da" else "not based on consent") in text


@pytest.mark.parametrize("language", SUPPORTED)
def test_the_periods_are_the_configured_ones(language: str) -> None:
    text = notice(language, RetentionPolicy(closed_case_years=10, draft_days=14))
    assert ("10 år" if language == "da" else "10 years") in text
    assert ("14 dage" if language == "da" else "14 days") in text
    single = notice(language, RetentionPolicy(closed_case_years=1, draft_days=1))
    assert ("1 dag," if language == "da" else "1 day,") in single and "1 years" not in single


@pytest.mark.parametrize("language", SUPPORTED)
def test_it_says_who_can_see_a_case_and_that_evidence_reads_are_logged(language: str) -> None:
    text = notice(language).lower()
    for who in (["leder", "stedfortræder", "organisation og personale", "udkast"] if language == "da" else
                ["leader", "deputy", "hr", "draft"]):  # fmt: skip
        assert who in text, who
    assert ("logget" if language == "da" else "logged") in text


@pytest.mark.parametrize("language", SUPPORTED)
def test_the_rights_end_in_a_complaint_to_datatilsynet(language: str) -> None:
    text = notice(language)
    danish = ["indsigt", "rettet", "begrænset", "indsigelse"]
    rights = danish if language == "da" else ["see the information", "corrected", "restricted", "object"]
    assert [right for right in rights if right not in text] == []
    assert "Datatilsynet" in text and "www.datatilsynet.dk" in text


@pytest.mark.parametrize("language", SUPPORTED)
def test_the_data_protection_officer_from_the_settings_is_named_as_written(language: str) -> None:
    text = notice(language)
    assert "Dorte \\*Databeskyttelse\\*" in text  # Markdown shown as typed, not as emphasis
    assert "dpo@kommune.dk" in text and "89 70 10 00" in text


@pytest.mark.parametrize("language", SUPPORTED)
def test_without_an_officer_in_the_settings_the_notice_names_the_role(language: str) -> None:
    text = notice(language, officer=DataProtectionOfficer())
    assert ("databeskyttelsesrådgiver" if language == "da" else "data protection officer") in text
    assert "dpo@" not in text


@pytest.mark.parametrize("language", SUPPORTED)
def test_a_downloaded_package_is_said_to_be_outside_the_deletion(language: str) -> None:
    assert "OneDrive" in notice(language)


def test_the_crisis_line_closes_the_notice() -> None:
    card = privacy_notice_card(texts_for("da", CRISIS_LINE), RetentionPolicy(), OFFICER)
    assert CRISIS_LINE in card["body"][-1]["text"]


@pytest.mark.parametrize(
    ("query", "accept_language", "language"),
    [
        (None, None, "da"),
        ("<script>", "", "da"),
        (None, "en;q=abc, da;q=0.1", "da"),  # a quality that is no number counts as 0
        (None, "en;q=1.2.3", "da"),
        (None, "en;q=0, da", "da"),  # q=0: not wanted
        (None, "*, en-US;q=0.9", "en"),
        (None, ";;,,=", "da"),
    ],
)
def test_the_page_language_never_fails_on_odd_input(
    query: str | None, accept_language: str | None, language: str
) -> None:
    from bot.privacy_routes import page_language

    assert page_language(query, accept_language) == language


def test_the_page_shows_the_same_sections_as_the_card_and_escapes_what_the_settings_say() -> None:
    from bot.config import Settings
    from bot.privacy_routes import privacy_page
    from cards.privacy import privacy_sections

    settings = Settings(_env_file=None, organisation_name="A & B <Kommune>")  # type: ignore[call-arg]
    page = privacy_page(settings, "en")
    texts = texts_for("en", settings.crisis_line, settings.organisation_name)
    for section in privacy_sections(texts, settings.retention):
        assert f">{section.title}</h2>" in page
    assert "A &amp; B &lt;Kommune&gt;" in page and "<Kommune>" not in page
    assert escape(texts("privacy.dpo_unknown")) in page
