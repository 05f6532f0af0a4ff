"""Cards for a reported case, one module per view: the leader's (`leader_view`) and escalated HR's (`hr_view`)
Universal Action cards with the guideline's duties as forms (`forms`), the employee's plain status view
(`employee_view`), the pieces they share (`parts`), the letter to the offender (`letter`) and the short texts
around them (`messages`).

Rules every view keeps: every Action.Execute carries `case_id` and `version`; the inputs of each action use
exactly the field names of the matching command in `domain.leader_actions.COMMANDS` (Teams merges input values
into `data` by input id); every card carries `refresh` so each person sees their own view when it is opened;
whatever people wrote is escaped where a card reads Markdown (`cards.markdown.escape_markdown`). The cards
decide nothing: the domain's answers (deadlines, suggestions, roles) come in as arguments.
"""
