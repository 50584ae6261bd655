"""An answer changed in the same moment as "Next" (or "Start") is pressed is kept.

A quick tap, or a keyboard user's arrow key followed at once by Enter on "Next", reaches the
server as one run: the button's callback moves to the next section, and the section being left
is never drawn again to copy its widgets into the form. Found by the keyboard-only browser test
(tests/e2e/test_keyboard_browser.py), where the last answer of a section was sometimes lost. AppTest
sends a changed widget and a click in one run, exactly that case.
"""

from __future__ import annotations

from typing import Any

from healthcheck.store import Store

from ..apptest import app

ORGS = [("Harbour Music", "music"), ("City Children's Services", "childrens_services")]


def test_answer_changed_with_next_in_one_run_is_kept(db: Store, pulse: Any) -> None:
    p, _ = db.create_partnership("Harbour + City", "pulse", 3, ORGS)
    org = db.organisations(p.id)[0]
    r, token = db.open_round(p.id, "Away day", "pulse", pulse.version)
    at = app(r=token).run()
    at.selectbox(key=f"ans{r.id}_about:organisation").set_value(org.id)
    at.radio(key=f"ans{r.id}_about:level").set_value("operational")
    at.run()
    # the role typed and Start pressed at once
    at.text_input(key=f"ans{r.id}_about:role").input("Music leader")
    at.button(key=f"ans{r.id}_nav:start").click().run()
    last = {}
    for n, section in enumerate(pulse.sections, start=1):
        for item in section.items:
            key = f"ans{r.id}_a:{item.id}"
            if item.type == "likert":
                at.radio(key=key).set_value(2)
            elif item.type == "choice":
                at.radio(key=key).set_value(item.choices[0].id)
        at.run()
        final = section.items[-1]
        if n < len(pulse.sections) and final.type == "likert":
            # the last answer changed and "Next" pressed in the same run
            at.radio(key=f"ans{r.id}_a:{final.id}").set_value(4)
            last[final.id] = 4
            at.button(key=f"ans{r.id}_nav:next{n}").click().run()
        elif n < len(pulse.sections):
            at.button(key=f"ans{r.id}_nav:next{n}").click().run()
    assert last, "the pulse check has a section ending in an agreement question"
    at.button(key=f"ans{r.id}_nav:send").click().run()
    (record,) = db.response_records(r.id)
    assert record["role"] == "Music leader"
    for item_id, value in last.items():
        assert record["answers"][item_id] == value, item_id
